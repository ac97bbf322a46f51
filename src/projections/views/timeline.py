"""The timeline view: every customer's journey, chronological, filterable and paged."""

from __future__ import annotations

import base64
import functools
import json
import typing
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow

from crm.adapters.mapper import PERSONAL, PersonalDataMapper
from crm.adapters.postgres.event_store import STORED_EVENTS
from crm.domain import events as ev
from projections.engine.stored_events import EventRows, at, plain_values
from projections.engine.view import SqlView

COMMON = frozenset(ev.ENVELOPE_FIELDS + ev.PROVENANCE_FIELDS)
COLUMNS = (
    "customer_id, version, position, kind, occurred_at, recorded_at,"
    " institution, channel, recorded_by, details, personal, retracted_in"
)


def plain(value: Any) -> Any:
    """A JSON-ready form of an event field."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return value


@functools.cache
def own_fields(event_class: type[ev.CustomerEvent]) -> tuple[list[str], list[str]]:
    """The event class's own field names as (non-personal, personal)."""
    own = event_class.own_fields()
    return [f.name for f in own if not f.personal], [f.name for f in own if f.personal]


def layout(event_class: type[ev.CustomerEvent]) -> tuple[list[str], list[str]]:
    """Stored-state keys to drop for (the details, the personal part) of a row."""
    public, personal = own_fields(event_class)
    return sorted(COMMON | set(personal) | {PERSONAL}), sorted(COMMON | set(public))


def has_typed_details(event_class: type[ev.CustomerEvent]) -> bool:
    """Whether a non-personal own field may hold a value stored as a typed object."""
    return any(
        kind in TYPED_VALUES
        for field in event_class.own_fields()
        if not field.personal
        for kind in (typing.get_args(field.annotation) or (field.annotation,))
    )


TYPED_VALUES = (datetime, date, Decimal, UUID)
EVENT_CLASSES = ev.CUSTOMER_EVENT_CLASSES
KINDS: dict[str, type[ev.CustomerEvent]] = {cls.kind(): cls for cls in EVENT_CLASSES}
LAYOUTS = {cls: layout(cls) for cls in EVENT_CLASSES}


class Timeline(SqlView):
    """One row per event of every customer.

    Rows are computed in SQL from the stored events. Personal fields stay as the log stores
    them (sealed with the customer's data key, under "personal") and are decrypted when a
    page is read, so the view holds no personal data in clear; erasure destroys the key and
    the `Erased` event clears the sealed fields too.
    """

    name = "timeline"
    # 2: personal fields kept sealed and decrypted on read; 3: retracted_in; 4: personal by
    # default (every typed field in the personal part, which erasure clears).
    version = 4
    events = EventRows(
        EVENT_CLASSES,
        extra=[
            ("hidden", "text[]", {cls: hidden for cls, (hidden, _) in LAYOUTS.items()}),
            ("shown", "text[]", {cls: shown for cls, (_, shown) in LAYOUTS.items()}),
            ("typed", "boolean", {cls: has_typed_details(cls) for cls in EVENT_CLASSES}),
        ],
        with_retracted=True,
    )
    mapper: PersonalDataMapper | None = None
    """Opens the sealed personal fields of a page (set when the view is configured)."""

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}entries ("
            " customer_id uuid NOT NULL,"
            " version integer NOT NULL,"
            " position bigint NOT NULL,"
            " kind text NOT NULL,"
            " occurred_at timestamptz NOT NULL,"
            " recorded_at timestamptz NOT NULL,"
            " institution text NOT NULL,"
            " channel text NOT NULL,"
            " recorded_by text NOT NULL,"
            " details jsonb NOT NULL,"
            " personal jsonb,"
            " retracted_in integer,"  # the version of the EntryRetracted that struck it out
            " PRIMARY KEY (customer_id, version))",
            "CREATE INDEX IF NOT EXISTS {p}entries_by_time"
            " ON {p}entries (customer_id, occurred_at, version)",
        ]

    def write_range(self, cursor: Cursor[DictRow], after: int, upto: int) -> int:
        # details: the non-personal own fields in plain form; personal: the stored state's
        # personal part (the sealed blob, and fields stored in clear before they became
        # personal), NULL when empty or when the customer is erased in this batch. The
        # UPDATE sees only rows of earlier batches, so one statement purges them all.
        # retracted_in: entries of earlier batches are marked by the UPDATE, those of this
        # batch as they are inserted.
        cursor.execute(
            f"WITH {self.events.cte}, retractions AS ("
            "  SELECT customer_id, version AS retracted_in,"
            "  (state ->> 'retracted_version')::integer AS version FROM events"
            f"  WHERE kind = '{ev.EntryRetracted.kind()}'"
            f"), marked AS (UPDATE {self.prefix}entries t SET retracted_in = r.retracted_in"
            "  FROM retractions r WHERE t.customer_id = r.customer_id AND t.version = r.version"
            "), erased AS ("
            f"  SELECT originator_id FROM {STORED_EVENTS} WHERE topic = %(erased)s"
            "   AND position > %(after)s AND position <= %(upto)s"
            f"), purged AS (UPDATE {self.prefix}entries SET personal = NULL"
            "  WHERE personal IS NOT NULL AND customer_id IN (SELECT originator_id FROM erased)"
            f") INSERT INTO {self.prefix}entries ({COLUMNS})"
            " SELECT customer_id, version, position, kind, occurred_at,"
            f" {at('state', 'timestamp')}, state ->> 'institution', state ->> 'channel',"
            " state ->> 'recorded_by',"
            f" CASE WHEN typed THEN {plain_values('state - hidden')} ELSE state - hidden END,"
            " CASE WHEN customer_id IN (SELECT originator_id FROM erased) THEN NULL"
            " ELSE nullif(state - shown, '{}') END, r.retracted_in FROM events"
            " LEFT JOIN retractions r USING (customer_id, version)"
            " ORDER BY customer_id, version",  # in key order: fewer index pages touched
            self.events.params(after, upto, erased=get_topic(ev.Erased)),
        )
        return cursor.rowcount

    def page(
        self,
        customer_id: UUID,
        *,
        kinds: list[str] | None = None,
        institutions: list[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        as_of: datetime | None = None,
        cursor: str | None = None,
        limit: int = 50,
        include_personal: bool = True,
        newest_first: bool = False,
        merged: Sequence[UUID] = (),
    ) -> tuple[list[DictRow], str | None]:
        """A page of the journey in business-time order (or newest first); returns rows and
        the next cursor, which continues in the same order. `merged`: records merged into the
        customer, whose entries the journey includes (each opened with its own stream's key)."""
        where = ["customer_id = ANY(%(ids)s)"]
        params: dict[str, Any] = {"ids": [customer_id, *merged], "limit": limit + 1}
        if kinds:
            where.append("kind = ANY(%(kinds)s)")
            params["kinds"] = kinds
        if institutions:
            where.append("institution = ANY(%(institutions)s)")
            params["institutions"] = institutions
        if start is not None:
            where.append("occurred_at >= %(start)s")
            params["start"] = start
        if end is not None:
            where.append("occurred_at < %(end)s")
            params["end"] = end
        if as_of is not None:
            # Business time: history imported later still shows where it happened.
            where.append("occurred_at <= %(as_of)s")
            params["as_of"] = as_of
        if cursor:
            # Log positions order entries of one time across merged streams too.
            after_time, after_position = decode_cursor(cursor)
            beyond = "<" if newest_first else ">"
            where.append(f"(occurred_at, position) {beyond} (%(after_time)s, %(after_position)s)")
            params.update(after_time=after_time, after_position=after_position)
        order = "occurred_at DESC, position DESC" if newest_first else "occurred_at, position"
        rows = self._entries(
            f" WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %(limit)s",
            params,
            include_personal,
        )
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = encode_cursor(rows[-1]["occurred_at"], rows[-1]["position"])
        return rows, next_cursor

    def entry(
        self, customer_id: UUID, version: int, include_personal: bool = True
    ) -> DictRow | None:
        """One entry of the journey by its version (None when there is none)."""
        rows = self._entries(
            " WHERE customer_id = %(id)s AND version = %(version)s",
            {"id": customer_id, "version": version},
            include_personal,
        )
        return rows[0] if rows else None

    def _entries(
        self, where_order: str, params: dict[str, Any], include_personal: bool
    ) -> list[DictRow]:
        personal = "personal" if include_personal else "NULL AS personal"
        rows = self.query(
            f"SELECT customer_id, version, position, kind, occurred_at, recorded_at, institution,"
            f" channel, recorded_by, details, {personal}, retracted_in FROM {{p}}entries"
            + where_order,
            params,
        )
        for row in rows:
            if row["personal"] is not None:
                row["personal"] = self.open_personal(
                    row["customer_id"], row["kind"], row["personal"]
                )
        return rows

    def open_personal(self, customer_id: UUID, kind: str, stored: dict[str, Any]) -> Any:
        """A row's personal fields in clear (None when all are empty or unreadable)."""
        if self.mapper is None:
            raise RuntimeError("the timeline reads personal fields through the data mapper")
        _, names = own_fields(KINDS[kind])
        personal = self.mapper.personal_fields(customer_id, tuple(names), stored)
        if all(value is None for value in personal.values()):
            return None
        return {name: plain(value) for name, value in personal.items()}

    def of_kind(self, customer_ids: list[UUID], kind: str, limit: int) -> list[DictRow]:
        """The newest entries of one kind among several customers (non-personal part only),
        e.g. the course completions of an organisation's people."""
        return self.query(
            "SELECT customer_id, kind, occurred_at, details FROM {p}entries"
            " WHERE customer_id = ANY(%s) AND kind = %s ORDER BY occurred_at DESC LIMIT %s",
            (customer_ids, kind, limit),
        )

    def entries_of_kinds(self, customer_ids: list[UUID], kinds: list[str]) -> list[DictRow]:
        """Every standing (not retracted) entry of the kinds among several customers, with
        personal fields in clear and `stored_hashes` holding the stored keyed hashes of its
        hashed fields (what views fed undecoded events compare), oldest first."""
        rows = self.query(
            "SELECT customer_id, version, kind, occurred_at, details, personal FROM {p}entries"
            " WHERE customer_id = ANY(%s) AND kind = ANY(%s) AND retracted_in IS NULL"
            " ORDER BY occurred_at, version",
            (customer_ids, kinds),
        )
        for row in rows:
            stored = row["personal"] or {}
            row["stored_hashes"] = {
                name: stored.get(name) for name in KINDS[row["kind"]].hashed_fields
            }
            row["personal"] = (
                self.open_personal(row["customer_id"], row["kind"], stored) if stored else None
            )
        return rows

    def entries_between(
        self,
        customer_ids: list[UUID],
        kinds: list[str],
        start: datetime,
        end: datetime,
        *,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[DictRow], int]:
        """A page of the standing entries of the kinds among several customers with business
        time in [start, end), newest first, personal fields in clear; and how many match."""
        params: dict[str, Any] = {
            "ids": customer_ids,
            "kinds": kinds,
            "start": start,
            "end": end,
            "offset": offset,
            "limit": limit,
        }
        where = (
            " WHERE customer_id = ANY(%(ids)s) AND kind = ANY(%(kinds)s)"
            " AND occurred_at >= %(start)s AND occurred_at < %(end)s AND retracted_in IS NULL"
        )
        rows = self.query(
            "SELECT customer_id, version, position, kind, occurred_at, details, personal,"
            f" count(*) OVER () AS total FROM {{p}}entries{where}"
            " ORDER BY occurred_at DESC, position DESC OFFSET %(offset)s LIMIT %(limit)s",
            params,
        )
        for row in rows:
            if row["personal"] is not None:
                row["personal"] = self.open_personal(
                    row["customer_id"], row["kind"], row["personal"]
                )
        return self.page_and_total(
            rows, offset, f"SELECT count(*) AS n FROM {{p}}entries{where}", params
        )

    def kind_totals(
        self, customer_ids: list[UUID], kinds: list[str], start: datetime, end: datetime
    ) -> dict[str, tuple[int, Decimal]]:
        """Per kind, how many standing entries the customers have with business time in
        [start, end), and the sum of their amounts in EUR (purchases' amounts, discounts
        given as amounts; 0 for kinds without one)."""
        rows = self.query(
            "SELECT kind, count(*) AS entries, coalesce(sum(coalesce("
            " (details ->> 'amount')::numeric, (details ->> 'discount_amount')::numeric)), 0)"
            " AS amount FROM {p}entries WHERE customer_id = ANY(%(ids)s)"
            " AND kind = ANY(%(kinds)s) AND occurred_at >= %(start)s AND occurred_at < %(end)s"
            " AND retracted_in IS NULL GROUP BY kind",
            {"ids": customer_ids, "kinds": kinds, "start": start, "end": end},
        )
        return {row["kind"]: (int(row["entries"]), Decimal(row["amount"])) for row in rows}

    def free_text_offerings(
        self, kinds: list[str], limit: int
    ) -> tuple[list[tuple[UUID, str]], int]:
        """(customer, free text) of the newest `limit` counted entries of the kinds that name
        an offering only in free text (no catalogue code), and how many such entries exist."""
        rows = self.query(
            "SELECT customer_id, kind, personal, count(*) OVER () AS total FROM {p}entries"
            " WHERE kind = ANY(%s) AND retracted_in IS NULL"
            " AND coalesce(details ->> 'offering_code', '') = ''"
            " ORDER BY occurred_at DESC, customer_id, version LIMIT %s",
            (kinds, limit),
        )
        found = []
        for row in rows:
            stored = row["personal"]
            opened = (
                self.open_personal(row["customer_id"], row["kind"], stored) or {} if stored else {}
            )
            text = opened.get("offering") or opened.get("course")
            if text:
                found.append((row["customer_id"], str(text)))
        return found, int(rows[0]["total"]) if rows else 0

    def count(self, customer_id: UUID) -> int:
        rows = self.query(
            "SELECT count(*) AS n FROM {p}entries WHERE customer_id = %s", (customer_id,)
        )
        return int(rows[0]["n"])


def encode_cursor(occurred_at: datetime, version: int) -> str:
    raw = json.dumps([occurred_at.isoformat(), version]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class CursorError(ValueError):
    """A paging cursor that this service did not issue."""


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, version = json.loads(raw)
        return datetime.fromisoformat(at), int(version)
    except (ValueError, TypeError) as error:
        raise CursorError("cursor: not a cursor this service issued") from error
