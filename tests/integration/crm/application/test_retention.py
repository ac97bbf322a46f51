"""Retention and consent expiry against PostgreSQL: decisions re-checked, logged, repeatable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from api.bootstrap.wiring import Services
from api.worker.scheduler import consent_expiry_candidates, retention_candidates
from crm.application.privacy import Privacy
from crm.application.retention import apply_retention, expire_consents
from crm.domain import events as ev
from projections.engine.runner import wait_until_caught_up
from projections.views.consent_ledger import ConsentLedger
from projections.views.indicators import CustomerIndicators
from tests.factories import provenance, register

# A year ahead, so that touchpoints may be recorded up to today (none may lie in the future)
# while the job decides as of NOW; LONG_AGO is far past the retention and consent limits.
NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(days=365)
LONG_AGO = datetime(NOW.year - 5, 1, 10, 9, 0, tzinfo=UTC)


def privacy_of(services: Services) -> Privacy:
    assert services.privacy is not None
    return services.privacy


def person(services: Services, at: datetime = LONG_AGO) -> UUID:
    return register(services.crm, at=at)


def test_inactive_customer_without_contract_is_erased_and_the_decision_logged(
    services: Services,
) -> None:
    idle, member, recent = person(services), person(services), person(services)
    services.crm.record_touchpoint(
        member, provenance(LONG_AGO), "partner_membership_started", {"notes": None, "tier": "paid"}
    )
    services.crm.record_touchpoint(
        recent, provenance(datetime.now(UTC) - timedelta(days=1)), "web_service_visited",
        {"notes": None, "page": "/"},
    )  # fmt: skip
    wait_until_caught_up(services.projector, [services.views.get(CustomerIndicators)])
    candidates = retention_candidates(services, NOW)
    assert idle in candidates and member in candidates and recent not in candidates
    assert services.retention_log is not None
    decisions = apply_retention(
        privacy_of(services), [idle, member, recent], NOW, record=services.retention_log
    )
    by_customer = {d.customer_id: d for d in decisions}
    assert by_customer[idle].decision == "erased"
    assert by_customer[member].decision == "kept" and by_customer[member].rule == "open_contract"
    assert by_customer[recent].decision == "kept"
    assert services.crm.get_customer(idle).erased
    assert not services.crm.get_customer(member).erased
    logged = {(r["customer_id"], r["decision"]) for r in services.retention_log.recent(100)}
    assert {(idle, "erased"), (member, "kept"), (recent, "kept")} <= logged
    # A second run finds the erased customer done and records nothing new for it.
    again = apply_retention(privacy_of(services), [idle], NOW)
    assert again == []


def test_old_consents_expire_once_at_the_end_of_their_validity(services: Services) -> None:
    customer_id = person(services)
    services.crm.record_touchpoint(
        customer_id, provenance(LONG_AGO), "consent_given",
        {"notes": None, "purpose": "newsletter", "lawful_basis": "consent", "evidence": "form"},
    )  # fmt: skip
    wait_until_caught_up(services.projector, [services.views.get(ConsentLedger)])
    candidates = consent_expiry_candidates(services, NOW)
    assert customer_id in candidates
    expired = expire_consents(privacy_of(services), [customer_id], NOW)
    assert [(e.purpose, e.expired_at) for e in expired] == [
        ("newsletter", LONG_AGO.replace(year=LONG_AGO.year + 2))
    ]
    assert expire_consents(privacy_of(services), [customer_id], NOW) == []
    journey = services.crm.get_journey(customer_id)
    assert sum(isinstance(e, ev.ConsentExpired) for e in journey) == 1
    customer = services.crm.get_customer(customer_id)
    assert customer.has_consent("newsletter", datetime(LONG_AGO.year + 1, 1, 1, tzinfo=UTC))
    assert not customer.has_consent("newsletter", datetime(LONG_AGO.year + 2, 2, 1, tzinfo=UTC))
