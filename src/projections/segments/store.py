"""Stored segments: named rules with versions, export records and daily membership snapshots.

Plain tables, not an aggregate: a segment definition is marketing's working document, not a
fact of any customer's journey, and its one invariant (versions count up without gaps) is a
row lock on the segment. History is kept all the same: a change adds a version and never
rewrites one, and every export names the version it used.

Membership is kept as intervals, one row per stay: a customer entered on day E and left on
day L (NULL while still a member). A daily snapshot closes the stays of customers who no
longer match, opens stays for newcomers and records the size, so "members as of day D" is
one range query and storage grows with changes, not with members times days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from crm.domain.errors import RuleViolationError


class SegmentNotFoundError(LookupError):
    """No segment (or version) with that id."""


class SegmentNameTakenError(RuleViolationError):
    """Another segment has that name."""


class StaleVersionError(RuleViolationError):
    """The segment changed since the version the change was based on."""


@dataclass(frozen=True)
class Segment:
    """A segment at one of its versions."""

    segment_id: UUID
    name: str
    version: int
    latest_version: int
    rule: Any
    description: str | None
    created_by: str
    created_at: datetime
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True)
class Snapshot:
    day: date
    version: int
    size: int
    entered: int
    left: int


class SegmentStore:
    """Segments, their versions, exports and membership history in PostgreSQL."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    # Definitions ---------------------------------------------------------------------------

    def create(self, name: str, rule: Any, description: str | None, user: str) -> Segment:
        """A new segment at version 1; SegmentNameTakenError if the name is in use."""
        segment_id = uuid4()
        with self.pool.connection() as conn, conn.transaction():
            inserted = conn.execute(
                "INSERT INTO segments (segment_id, name, version, created_by)"
                " VALUES (%s, %s, 1, %s) ON CONFLICT (name) DO NOTHING RETURNING segment_id",
                (segment_id, name, user),
            ).fetchone()
            if inserted is None:
                raise SegmentNameTakenError(
                    f"A segment named {name!r} exists already.",
                    code="segment_name_taken",
                    name=name,
                )
            conn.execute(
                "INSERT INTO segment_versions (segment_id, version, rule, description,"
                " created_by) VALUES (%s, 1, %s, %s, %s)",
                (segment_id, Jsonb(rule), description, user),
            )
        return self.get(segment_id)

    def change(
        self,
        segment_id: UUID,
        *,
        name: str | None,
        rule: Any,
        description: str | None,
        user: str,
        expected_version: int | None,
    ) -> Segment:
        """Add a version; StaleVersionError if `expected_version` is not the latest."""
        with self.pool.connection() as conn, conn.transaction():
            row = conn.execute(
                "SELECT version FROM segments WHERE segment_id = %s FOR UPDATE", (segment_id,)
            ).fetchone()
            if row is None:
                raise SegmentNotFoundError(segment_id)
            if expected_version is not None and expected_version != row[0]:
                raise StaleVersionError(
                    f"The segment is at version {row[0]}, not {expected_version}; reload it.",
                    code="segment_stale",
                    version=row[0],
                    expected=expected_version,
                )
            version = row[0] + 1
            if name is not None:
                taken = conn.execute(
                    "SELECT 1 FROM segments WHERE name = %s AND segment_id <> %s",
                    (name, segment_id),
                ).fetchone()
                if taken:
                    raise SegmentNameTakenError(
                        f"A segment named {name!r} exists already.",
                        code="segment_name_taken",
                        name=name,
                    )
            conn.execute(
                "UPDATE segments SET version = %s, name = coalesce(%s, name) WHERE segment_id = %s",
                (version, name, segment_id),
            )
            conn.execute(
                "INSERT INTO segment_versions (segment_id, version, rule, description,"
                " created_by) VALUES (%s, %s, %s, %s, %s)",
                (segment_id, version, Jsonb(rule), description, user),
            )
        return self.get(segment_id)

    def get(self, segment_id: UUID, version: int | None = None) -> Segment:
        """The segment at `version` (default: the latest)."""
        rows = self._segments(
            "s.segment_id = %(id)s AND v.version = coalesce(%(version)s, s.version)",
            {"id": segment_id, "version": version},
        )
        if not rows:
            raise SegmentNotFoundError(segment_id)
        return rows[0]

    def every(self) -> list[Segment]:
        """Every segment at its latest version, by name."""
        return self._segments("v.version = s.version", {})

    def _segments(self, where: str, params: dict[str, Any]) -> list[Segment]:
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(
                "SELECT s.segment_id, s.name, v.version, s.version AS latest_version, v.rule,"
                " v.description, s.created_by, s.created_at, v.created_by AS changed_by,"
                " v.created_at AS changed_at FROM segments s JOIN segment_versions v"
                f" USING (segment_id) WHERE {where} ORDER BY s.name",
                params,
            )
            return [Segment(**row) for row in cursor.fetchall()]

    # Exports -------------------------------------------------------------------------------

    def record_export(
        self,
        segment: Segment,
        purpose: str,
        user: str,
        role: str,
        consent_checked_at: datetime,
        row_count: int,
    ) -> UUID:
        """Record an export (who, when, which version, purpose, how many rows)."""
        export_id = uuid4()
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO segment_exports (export_id, segment_id, version, purpose,"
                " exported_by, exported_role, consent_checked_at, row_count)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    export_id,
                    segment.segment_id,
                    segment.version,
                    purpose,
                    user,
                    role,
                    consent_checked_at,
                    row_count,
                ),
            )
        return export_id

    def exports(self, *, segment_id: UUID | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Exports, newest first, optionally of one segment."""
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(
                "SELECT e.export_id, e.segment_id, s.name AS segment_name, e.version,"
                " e.purpose, e.exported_by, e.exported_role, e.exported_at,"
                " e.consent_checked_at, e.row_count"
                " FROM segment_exports e JOIN segments s USING (segment_id)"
                " WHERE %(id)s::uuid IS NULL OR e.segment_id = %(id)s"
                " ORDER BY e.exported_at DESC, e.export_id LIMIT %(limit)s",
                {"id": segment_id, "limit": limit},
            )
            return cursor.fetchall()

    # Membership ----------------------------------------------------------------------------

    def record_snapshot(self, segment: Segment, day: date, members: list[UUID]) -> Snapshot | None:
        """Apply one day's members to the stays; None if that day or a later one is recorded."""
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(
                "SELECT 1 FROM segments WHERE segment_id = %s FOR UPDATE", (segment.segment_id,)
            )
            later = conn.execute(
                "SELECT 1 FROM segment_snapshots WHERE segment_id = %s AND day >= %s",
                (segment.segment_id, day),
            ).fetchone()
            if later:
                return None
            left = conn.execute(
                "UPDATE segment_memberships SET left_on = %(day)s WHERE segment_id = %(id)s"
                " AND left_on IS NULL AND NOT customer_id = ANY(%(members)s::uuid[])",
                {"id": segment.segment_id, "day": day, "members": members},
            ).rowcount
            entered = conn.execute(
                "INSERT INTO segment_memberships (segment_id, customer_id, entered_on)"
                " SELECT %(id)s, m.customer_id, %(day)s FROM unnest(%(members)s::uuid[])"
                " AS m(customer_id) WHERE NOT EXISTS (SELECT 1 FROM segment_memberships o"
                "  WHERE o.segment_id = %(id)s AND o.customer_id = m.customer_id"
                "  AND o.left_on IS NULL)",
                {"id": segment.segment_id, "day": day, "members": members},
            ).rowcount
            conn.execute(
                'INSERT INTO segment_snapshots (segment_id, day, version, size, entered, "left")'
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (segment.segment_id, day, segment.version, len(members), entered, left),
            )
        return Snapshot(day, segment.version, len(members), entered, left)

    def sizes(self, segment_id: UUID) -> list[Snapshot]:
        """The segment's size on each snapshot day, oldest first."""
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(
                'SELECT day, version, size, entered, "left" FROM segment_snapshots'
                " WHERE segment_id = %s ORDER BY day",
                (segment_id,),
            )
            return [Snapshot(**row) for row in cursor.fetchall()]

    def members_as_of(self, segment_id: UUID, day: date) -> list[UUID]:
        """The members at the latest snapshot on or before `day`."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT customer_id FROM segment_memberships WHERE segment_id = %(id)s"
                " AND entered_on <= %(day)s AND (left_on IS NULL OR left_on > %(day)s)"
                " ORDER BY customer_id",
                {"id": segment_id, "day": day},
            ).fetchall()
        return [row[0] for row in rows]

    def stays(self, customer_id: UUID) -> list[dict[str, Any]]:
        """When the customer entered and left each segment, oldest first."""
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(
                "SELECT m.segment_id, s.name AS segment_name, m.entered_on, m.left_on"
                " FROM segment_memberships m JOIN segments s USING (segment_id)"
                " WHERE m.customer_id = %s ORDER BY m.entered_on, s.name",
                (customer_id,),
            )
            return cursor.fetchall()
