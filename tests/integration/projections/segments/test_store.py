"""Segments on PostgreSQL: daily snapshots and membership history, restriction, bound values."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from api.services.segments import compile_for, snapshot_segment
from api.worker.scheduler import run_segment_snapshots
from crm.application.users import Role
from crm.domain.calendar import HELSINKI
from projections.segments import compiler as queries
from projections.segments.rules import parse_rule
from projections.views.restrictions import Restrictions
from tests.factories import RoleHeaders
from tests.segment_data import (
    EMAIL_CONSENT,
    NOW,
    Cast,
    at,
    join_cast,
    touch,
    wait,
)


def day(offset: int) -> date:
    return (NOW + timedelta(days=offset)).astimezone(HELSINKI).date()


def test_daily_snapshots_give_size_over_time_members_as_of_a_day_and_each_stay(
    services: Services, client: TestClient, as_role: RoleHeaders, cast: Cast
) -> None:
    rule = {"all": [{"sector": cast.sector}, {"consent": "email_marketing"}]}
    segment = services.segment_store.create(
        f"Consenting {uuid.uuid4().hex[:6]}", rule, None, "mikko"
    )
    assert snapshot_segment(services, segment, NOW) is not None
    given = services.crm.record_touchpoint(cast.ids["c"], at(201), *EMAIL_CONSENT)
    wait(services, given.position or 0)
    second = snapshot_segment(services, segment, NOW + timedelta(days=2))
    assert second is not None and (second.size, second.entered, second.left) == (2, 1, 0)
    assert snapshot_segment(services, segment, NOW + timedelta(days=2)) is None, "day taken"
    assert snapshot_segment(services, segment, NOW + timedelta(days=1)) is None, "day passed"
    withdrawn = services.crm.record_touchpoint(
        cast.ids["a"], at(203), *touch("consent_withdrawn", purpose="email_marketing")
    )
    wait(services, withdrawn.position or 0)
    assert snapshot_segment(services, segment, NOW + timedelta(days=4)) is not None

    segments = services.segment_store
    assert [(s.size, s.entered, s.left) for s in segments.sizes(segment.segment_id)] == [
        (1, 1, 0),
        (2, 1, 0),
        (1, 0, 1),
    ]
    as_of = {
        offset: cast.letters(segments.members_as_of(segment.segment_id, day(offset)))
        for offset in (-1, 0, 1, 3, 5)
    }
    assert as_of == {-1: set(), 0: {"a"}, 1: {"a"}, 3: {"a", "c"}, 5: {"c"}}

    marketing = as_role[Role.MARKETING]
    url = f"/segments/{segment.segment_id}"
    sizes = client.get(f"{url}/sizes", headers=marketing).json()
    assert [s["size"] for s in sizes] == [1, 2, 1]
    members = client.get(f"{url}/members", params={"as_of": str(day(3))}, headers=marketing)
    assert members.json()["count"] == 2
    stays = client.get(
        f"/customers/{cast.ids['a']}/segments", headers=as_role[Role.ACCOUNT_MANAGER]
    ).json()
    assert [(s["entered_on"], s["left_on"]) for s in stays] == [(str(day(0)), str(day(4)))]


def test_the_daily_job_snapshots_every_segment(services: Services, cast: Cast) -> None:
    segment = services.segment_store.create(
        f"Job {uuid.uuid4().hex[:6]}", {"sector": cast.sector}, None, "mikko"
    )
    assert run_segment_snapshots(services, NOW + timedelta(days=30)) >= 1
    assert [s.size for s in services.segment_store.sizes(segment.segment_id)] == [4]


def test_a_lifted_restriction_brings_the_customer_back(services: Services) -> None:
    cast = Cast(sector=f"Sector-{uuid.uuid4().hex[:8]}")
    customer = join_cast(services, cast, "r")
    assert services.privacy is not None
    restricted = services.privacy.restrict_processing(customer, at(5), "accuracy contested")
    wait(services, restricted.position or 0)
    view = services.views.get(Restrictions)
    assert view.is_restricted(customer)
    tables, compiled = compile_for(services, parse_rule({"sector": cast.sector}), NOW)
    assert queries.count(tables, compiled) == 0
    lifted = services.privacy.lift_restriction(customer, at(6), "corrected")
    wait(services, lifted.position or 0)
    assert not view.is_restricted(customer)
    assert queries.count(tables, compiled) == 1


def test_rule_values_are_bound_never_written_into_the_sql(services: Services) -> None:
    hostile = "x') OR true OR ('"
    tables, compiled = compile_for(services, parse_rule({"sector": hostile}), NOW)
    assert hostile not in " ".join(compiled.expressions)
    assert hostile in compiled.params.values()
    assert queries.count(tables, compiled) == 0
