"""The worker's scheduled jobs find their candidates in the views and act through commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.bootstrap.wiring import Services
from api.worker.scheduler import run_consent_expiry, run_lifetime_fit, run_retention
from crm.domain import events as ev
from tests.factories import provenance, register

LONG_AGO = datetime(2020, 3, 2, 10, tzinfo=UTC)


def catch_up(services: Services) -> None:
    for view in services.views.refresh(force=True):
        services.projector.catch_up(view)


def test_consent_expiry_job_lets_old_consents_lapse_and_keeps_recent_ones(
    isolated_services: Services,
) -> None:
    services = isolated_services
    now = datetime(2026, 11, 1, tzinfo=UTC)
    old, recent = register(services.crm), register(services.crm)
    consent = {"notes": None, "purpose": "newsletter", "lawful_basis": "consent", "evidence": "f"}
    services.crm.record_touchpoint(
        old, provenance(now - timedelta(days=800)), "consent_given", consent
    )
    services.crm.record_touchpoint(
        recent, provenance(now - timedelta(days=30)), "consent_given", consent
    )
    catch_up(services)

    assert run_consent_expiry(services, now) == 1

    assert isinstance(services.crm.get_journey(old)[-1], ev.ConsentExpired)
    assert not services.crm.get_customer(old).has_consent("newsletter", now)
    assert services.crm.get_customer(recent).has_consent("newsletter", now)


def test_retention_job_erases_only_long_inactive_customers(isolated_services: Services) -> None:
    services = isolated_services
    now = datetime(2026, 11, 1, tzinfo=UTC)
    dormant = services.crm.register_customer(
        provenance(LONG_AGO),
        customer_kind="person",
        customer_type="individual",
        name="Unohdettu Asiakas",
        email="dormant@example.fi",
    ).customer_id
    active = register(services.crm)
    services.crm.record_touchpoint(
        active,
        provenance(now - timedelta(days=10)),
        "web_service_visited",
        {"notes": None, "page": "/"},
    )
    catch_up(services)

    assert run_retention(services, now) == 1

    assert services.crm.get_customer(dormant).erased
    assert services.crm.get_customer(dormant).name is None
    assert not services.crm.get_customer(active).erased
    assert services.crm.find_by_email("dormant@example.fi") is None


def test_lifetime_job_runs_on_too_little_data_without_failing(isolated_services: Services) -> None:
    register(isolated_services.crm)
    catch_up(isolated_services)
    run_lifetime_fit(isolated_services, datetime(2026, 11, 1, tzinfo=UTC))
