"""`crm rebuild` fills a new generation beside the live one, switches readers, drops the old."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

from psycopg import Cursor
from psycopg.rows import DictRow

from api.bootstrap.wiring import Services
from crm.domain import events as ev
from projections.engine.generations import LiveViews
from projections.engine.runner import ANALYZE_AFTER
from projections.engine.view import Batch, View
from projections.views.funnel import Funnel
from projections.views.timeline import Timeline
from tests.factories import provenance, register
from tests.processes import crm_environment
from tests.views import view_rows


def table_exists(services: Services, name: str) -> bool:
    with services.pool.connection() as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f'"{name}"',)).fetchone()
    return bool(row and row[0])


def test_rebuild_switches_to_a_new_generation_with_the_same_rows(
    isolated_services: Services,
) -> None:
    services = isolated_services
    for _ in range(3):
        register(services.crm)
    old = services.views.get(Timeline)
    services.projector.catch_up(old)
    rows_before = view_rows(old)
    settings = services.settings
    env = {**os.environ, **crm_environment(settings)}
    result = subprocess.run(
        [sys.executable, "-m", "api.cli.main", "rebuild", "timeline", "--batch-size", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr

    assert services.views.refresh(force=True)
    new = services.views.get(Timeline)
    assert new.tag != old.tag
    assert view_rows(new) == rows_before
    assert len(rows_before["entries"]) == 3
    assert not table_exists(services, f"{old.prefix}entries")
    assert not table_exists(services, old.tracking_table_name)


def test_views_at_different_positions_catch_up_together(isolated_services: Services) -> None:
    services = isolated_services
    for _ in range(4):
        register(services.crm)
    ahead = services.views.get(Timeline)
    services.projector.catch_up(ahead, until=3)
    behind = services.views.build(Timeline, "v1together")
    behind.create_table()
    try:
        for _ in range(2):
            register(services.crm)
        services.projector.batch_size = 2
        services.projector.catch_up_all([behind, ahead])
        assert ahead.position() == behind.position() == services.projector.head()
        assert view_rows(ahead) == view_rows(behind)
    finally:
        behind.drop_tables()


def test_a_new_view_version_drops_the_generations_of_the_old_one(
    isolated_services: Services,
) -> None:
    """Nothing maintains an old version's tables after an upgrade, so an erasure would not
    reach the personal data they hold: they go when the new version goes live."""
    services = isolated_services
    register(services.crm)
    old = services.views.get(Timeline)
    services.projector.catch_up(old)
    old_tables = old.table_names()
    assert all(table_exists(services, table) for table in old_tables)

    class NextTimeline(Timeline):
        version = Timeline.version + 1

    upgraded = LiveViews(old.datastore, [NextTimeline]).get(NextTimeline)

    assert upgraded.tag == f"v{NextTimeline.version}r0"
    assert not any(table_exists(services, table) for table in old_tables)
    with services.pool.connection() as conn:
        tags = conn.execute(
            "SELECT tag FROM projection_generations WHERE view = 'timeline'"
        ).fetchall()
    assert [row[0] for row in tags] == [upgraded.tag]


def test_a_leftover_generation_of_an_older_version_is_dropped_at_start_up(
    isolated_services: Services,
) -> None:
    services = isolated_services
    live = services.views.get(Timeline)
    leftover = f"timeline_v{Timeline.version - 1}r3_entries"
    with services.pool.connection() as conn:
        conn.execute(f'CREATE TABLE "{leftover}" (personal text)')
        conn.execute(
            "INSERT INTO projection_generations (view, tag, live) VALUES ('timeline', %s, false)",
            (f"v{Timeline.version - 1}r3",),
        )

    restarted = LiveViews(live.datastore, [Timeline]).get(Timeline)

    assert restarted.tag == live.tag
    assert not table_exists(services, leftover)
    assert all(table_exists(services, table) for table in live.table_names())


class LeadIdsSeen(View):
    """A view without personal data that keeps the lead ids it is given, to look at."""

    name = "lead_ids_seen"
    version = 1
    topics = (ev.LeadCaptured,)
    needs_personal_data = False

    def ddl(self) -> list[str]:
        return ["CREATE TABLE IF NOT EXISTS {p}seen (lead_id text)"]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        for _, event in batch:
            cursor.execute(
                f"INSERT INTO {self.prefix}seen VALUES (%s)",
                (event.lead_id,),  # type: ignore[attr-defined]
            )


def test_a_view_without_personal_data_gets_hashed_ids_whatever_catches_up_with_it(
    isolated_services: Services,
) -> None:
    """Caught up beside a view that opens personal data, a view that declares none still gets
    client-chosen ids as their keyed hashes, as it does alone: its keys never mix clear ids
    with hashes, and no clear id reaches a view that an erasure does not purge."""
    services = isolated_services
    customer = register(services.crm)
    lead = f"lead-{uuid.uuid4().hex[:8]}"
    fields = {"notes": None, "lead_id": lead, "source_channel": "fair"}
    services.crm.record_touchpoint(
        customer, provenance(), "lead_captured", {**fields, "target_group": None, "interest": None}
    )
    public = services.views.build(LeadIdsSeen, "v1r0")
    together = [public, services.views.build(Funnel, "v1together")]
    for view in together:
        view.create_table()
    try:
        services.projector.catch_up_all(together)
        seen = [row["lead_id"] for row in public.query("SELECT lead_id FROM {p}seen")]
        funnel = together[1].query(
            "SELECT lead_id FROM {p}leads WHERE customer_id = %s", [customer]
        )
    finally:
        for view in together:
            view.drop_tables()
    assert seen and lead not in seen and all(found.startswith("h:") for found in seen)
    assert [row["lead_id"] for row in funnel] == [lead]  # the funnel opens personal data


def test_a_large_catch_up_refreshes_its_views_statistics(isolated_services: Services) -> None:
    """Without statistics the planner takes freshly filled tables for empty ones; a catch-up
    past `analyze_after` events analyses its views (reltuples is -1 until a table is)."""
    services = isolated_services
    for _ in range(3):
        register(services.crm)
    small, large = (services.views.build(Timeline, tag) for tag in ("v1small", "v1large"))

    def analysed(view: View) -> bool:
        with services.pool.connection() as conn:
            row = conn.execute(
                "SELECT reltuples >= 0 FROM pg_class WHERE oid = to_regclass(%s)",
                (f'"{view.prefix}entries"',),
            ).fetchone()
        return bool(row and row[0])

    for view in (small, large):
        view.create_table()
    try:
        services.projector.catch_up(small)
        services.projector.analyze_after = 1
        services.projector.catch_up(large)
        assert (analysed(small), analysed(large)) == (False, True)
    finally:
        services.projector.analyze_after = ANALYZE_AFTER
        for view in (small, large):
            view.drop_tables()
