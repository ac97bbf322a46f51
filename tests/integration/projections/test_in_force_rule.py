"""Consent and restriction as of a time: the SQL of the ledger, the restriction view, the
consent audit and the segment compiler agree with the Python rule on generated histories."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap.wiring import Services
from crm.domain import events as ev
from crm.domain.consents import consents_as_of
from crm.domain.customer import Customer
from crm.domain.restrictions import restricted_as_of
from projections.audits.consent_audit import AuditViews, marketing_contacts
from projections.segments import compiler
from projections.segments.rules import parse_rule
from tests.factories import START, provenance

PURPOSE = "email_marketing"
TICK = timedelta(microseconds=1)
WAIT = 20.0
NOW = datetime.now(UTC)

# Few distinct days, so that changes at the same instant (ties) are common.
days = st.integers(min_value=0, max_value=6)
consent_steps = st.tuples(st.sampled_from(["give", "withdraw", "expire"]), days)
restriction_steps = st.tuples(st.just("switch"), days)
histories = st.lists(st.one_of(consent_steps, restriction_steps), min_size=1, max_size=8)


def day(n: int) -> datetime:
    return START + timedelta(days=n)


def build(history: list[tuple[str, int]]) -> Customer:
    """A customer whose consent and restriction changes are recorded in the given order."""
    customer = Customer.register(
        customer_id=uuid.uuid4(),
        provenance=provenance(day(0)),
        customer_kind="organisation",
        customer_type="private_organisation",
        name=None,
        email=None,
        phone=None,
        sector=None,
        account_manager=None,
    )
    for step, n in history:
        at = provenance(day(n) + timedelta(hours=12))
        if step == "give":
            fields = {"purpose": PURPOSE, "lawful_basis": "consent", "evidence": "form"}
            customer.record_touchpoint(at, ev.ConsentGiven, {"notes": None, **fields}, now=NOW)
        elif step == "withdraw":
            fields = {"purpose": PURPOSE, "evidence": "letter"}
            customer.record_touchpoint(at, ev.ConsentWithdrawn, {"notes": None, **fields}, now=NOW)
        elif step == "expire":
            customer.expire_consent(at, PURPOSE)
        elif customer.restricted:
            customer.lift_restriction(at, "verified")
        else:
            customer.restrict_processing(at, "contested")
    return customer


def moments(history: list[tuple[str, int]]) -> list[datetime]:
    """Every change's instant, just before it, and the start of each day."""
    changed = {day(n) + timedelta(hours=12) for _, n in history}
    return sorted({*changed, *(t - TICK for t in changed), *(day(n) for n in range(8))})


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories)
def test_views_audit_and_segments_decide_consent_and_restriction_as_the_rule_does(
    services: Services, history: list[tuple[str, int]]
) -> None:
    customer = build(history)
    instants = moments(history)
    for t in instants:
        # Contacts whatever the consent, so the audit has something to judge at each instant.
        customer.trigger_event(
            ev.MarketingEmailSent,
            **provenance(t).as_fields(),
            notes=None,
            purpose=PURPOSE,
            campaign="generated",
        )
    [*_, last] = services.crm.save(customer)
    tables = compiler.Tables.of(services.views)
    audit_views = AuditViews.of(services.views)
    for view in (*audit_views.all(), tables.indicators):
        assert view.wait_for(last.notification.id, WAIT), view.name
    journey = services.crm.get_journey(customer.id)
    audited = {
        row["occurred_at"]: row
        for row in marketing_contacts(audit_views, day(0), day(8), PURPOSE)
        if row["customer_id"] == customer.id
    }
    assert set(audited) == set(instants)

    for t in instants:
        in_force = consents_as_of(journey, t, tables.consents.validity_months).get(PURPOSE)
        consented = in_force is not None and in_force.granted
        restricted = restricted_as_of(journey, t)
        assert customer.has_consent(PURPOSE, t) == consented, t
        assert tables.consents.was_valid(customer.id, PURPOSE, t) == consented, t
        assert tables.restrictions.is_restricted(customer.id, t) == restricted, t
        assert audited[t]["restricted"] == restricted, t
        assert (audited[t]["consent_from"] is not None) == consented, t
        compiled = compiler.compile_rule(tables, parse_rule({"consent": PURPOSE}), t)
        explained = compiler.explain(tables, compiled, customer.id)
        assert explained is not None
        assert (explained.held[0], explained.restricted) == (consented, restricted), t
