"""The worker's scheduled jobs find their candidates in the views and act through commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.bootstrap.wiring import Services
from api.worker.scheduler import (
    run_consent_expiry,
    run_lifetime_fit,
    run_retention,
    run_review_tasks,
)
from crm.domain import events as ev
from crm.domain.tasks import due_window
from projections.views.tasks import Tasks
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


def test_review_task_job_plans_one_task_for_the_owner_of_each_partner_due_a_review(
    isolated_services: Services,
) -> None:
    services = isolated_services
    now = datetime(2026, 11, 1, tzinfo=UTC)
    owner = "ville.am"
    due = register(services.crm, kind="organisation", account_manager=owner)
    reviewed = register(services.crm, kind="organisation", account_manager=owner)
    unowned = register(services.crm, kind="organisation")
    for partner in (due, reviewed, unowned):
        services.crm.record_touchpoint(
            partner,
            provenance(now - timedelta(days=500)),
            "partner_membership_started",
            {"notes": None, "tier": "paid"},
        )
    services.crm.record_touchpoint(
        reviewed,
        provenance(now - timedelta(days=30)),
        "annual_review_held",
        {"notes": None, "next_review_due": None},
    )
    catch_up(services)

    assert run_review_tasks(services, now) == 1
    assert run_review_tasks(services, now) == 0  # a rerun plans nothing new

    planned = services.crm.get_journey(due)[-1]
    assert isinstance(planned, ev.TaskPlanned)
    assert (planned.task_kind, planned.owner) == ("review", owner)
    assert planned.due_on == (now - timedelta(days=500) + timedelta(days=365)).date()
    assert not any(isinstance(e, ev.TaskPlanned) for e in services.crm.get_journey(reviewed))
    catch_up(services)
    today, week_end = due_window(now)
    rows, total = services.views.get(Tasks).owned_by(owner, "overdue", today, week_end)
    assert total == 1 and rows[0]["customer_id"] == due
