"""Indicator definitions written once: the SQL forms agree with the Python ones."""

from __future__ import annotations

from api.bootstrap.wiring import Services
from projections.segments.rules import FIELDS
from projections.views.indicators import (
    DERIVED_SQL,
    STAGE_PRECEDENCE,
    STAGE_SINCE_SQL,
    STAGE_SQL,
    CustomerIndicators,
    nps_class,
)


def test_the_nps_class_in_sql_is_the_python_one_for_every_score(services: Services) -> None:
    view = services.views.get(CustomerIndicators)
    rows = view.query(
        f"SELECT c.last_feedback_score AS score, {DERIVED_SQL['nps_class']} AS nps"
        " FROM (SELECT unnest(%s::int[]) AS last_feedback_score) c",
        ([*range(11), None],),
    )
    assert len(rows) == 12
    for row in rows:
        assert row["nps"] == nps_class(row["score"]), row


def test_stage_and_stage_since_test_the_same_conditions_and_segments_know_every_stage() -> None:
    def conditions(case: str) -> list[str]:
        return [line.split(" THEN ")[0] for line in case.splitlines() if "WHEN" in line]

    assert conditions(STAGE_SQL) == conditions(STAGE_SINCE_SQL)
    assert len(conditions(STAGE_SQL)) == len(STAGE_PRECEDENCE) - 1
    assert all(f"'{stage}'" in STAGE_SQL for stage in STAGE_PRECEDENCE)
    assert FIELDS["lifecycle_stage"][1] == STAGE_PRECEDENCE
