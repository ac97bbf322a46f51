"""Scheduled jobs of the worker process (APScheduler 3.11): each issues application commands,
so its effects are events like any other.

- consent expiry (daily): consents older than `consent_validity_months` lapse (`ConsentExpired`)
- retention (daily): customers inactive for `retention_months` with no open contract are erased
- lifetime refit (nightly): BG/NBD and Gamma-Gamma on the whole customer base
- segment snapshots (daily): every segment's members, for size over time and membership history
- review tasks (daily): a partner due an annual review gets a review task for its owner, once
- web sessions (hourly): rows of sessions past their absolute timeout are deleted

Candidates come from the read models, and every decision is re-checked on the aggregate, so a
view that lags can only delay an action, never cause a wrong one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from uuid import UUID

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from api.bootstrap.wiring import Services
from api.services.segments import snapshot_segments
from crm.application.retention import apply_retention, expire_consents
from crm.application.tasks import DueReview, plan_review_tasks
from crm.domain.calendar import HELSINKI, local_date, months_before
from projections.engine.merges import MergeMap
from projections.lifetime.fit import fit_lifetime
from projections.views.consent_ledger import ConsentLedger
from projections.views.indicators import CustomerIndicators
from projections.views.partners import Partners

log = logging.getLogger(__name__)


def consent_expiry_candidates(services: Services, now: datetime) -> list[UUID]:
    """Customers with an open consent granted before the validity cut-off; a record merged
    into another stands for its survivor, whose merged consents the expiry is recorded on."""
    cutoff = months_before(now, services.settings.consent_validity_months)
    records = services.views.get(ConsentLedger).open_consents_given_before(cutoff)
    return services.views.get(MergeMap).people(records)


def retention_candidates(services: Services, now: datetime) -> list[UUID]:
    """Customers whose last activity is older than the retention period."""
    cutoff = months_before(now, services.settings.retention_months)
    return services.views.get(CustomerIndicators).inactive_since(
        cutoff, services.views.get(MergeMap)
    )


def run_consent_expiry(services: Services, now: datetime | None = None) -> int:
    """Let old consents lapse; returns how many expired."""
    now = now or datetime.now(UTC)
    expired = expire_consents(
        services.privacy,
        consent_expiry_candidates(services, now),
        now,
        validity_months=services.settings.consent_validity_months,
    )
    log.info("consent expiry: %d consents expired", len(expired))
    return len(expired)


def run_retention(services: Services, now: datetime | None = None) -> int:
    """Erase long-inactive customers without an open contract; returns how many were erased."""
    now = now or datetime.now(UTC)
    decisions = apply_retention(
        services.privacy,
        retention_candidates(services, now),
        now,
        inactive_months=services.settings.retention_months,
        record=services.retention_log,
    )
    erased = sum(decision.decision == "erased" for decision in decisions)
    log.info("retention: %d decisions, %d erased", len(decisions), erased)
    return erased


def run_lifetime_fit(services: Services, now: datetime | None = None) -> None:
    """Refit the lifetime models on the whole customer base."""
    today = (now or datetime.now(UTC)).date()
    outcome = fit_lifetime(
        services.views.get(CustomerIndicators), services.views.get(MergeMap), today
    )
    log.info("lifetime fit: %s", outcome)


def run_segment_snapshots(services: Services, now: datetime | None = None) -> int:
    """Record today's members of every segment; returns how many segments were recorded."""
    return len(snapshot_segments(services, now))


def due_reviews(services: Services, now: datetime) -> list[DueReview]:
    """Owned partners due a yearly review within the notice period, or overdue (every one)."""
    rows, _ = services.views.get(Partners).due_reviews(
        services.views.get(CustomerIndicators),
        services.views.get(MergeMap),
        None,
        local_date(now),
        limit=None,
    )
    return [
        DueReview(row["customer_id"], row["review_due"], row["account_manager"]) for row in rows
    ]


def run_review_tasks(services: Services, now: datetime | None = None) -> int:
    """Plan a review task for each partner due a review; returns how many were planned."""
    now = now or datetime.now(UTC)
    planned = plan_review_tasks(services.crm, due_reviews(services, now), now)
    log.info("review tasks: %d planned", len(planned))
    return len(planned)


def run_session_purge(services: Services) -> int:
    """Delete the web sessions past their absolute timeout; returns how many."""
    purged = services.web_sessions.purge_expired()
    log.info("web sessions: %d past their absolute timeout deleted", purged)
    return purged


def start_scheduler(services: Services) -> BackgroundScheduler:
    """Start the jobs in a background thread; missed runs (worker down) run once on start."""
    scheduler = BackgroundScheduler(
        timezone=HELSINKI,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600},
    )
    scheduler.add_job(run_consent_expiry, CronTrigger(hour=2), args=[services], id="consents")
    scheduler.add_job(run_retention, CronTrigger(hour=3), args=[services], id="retention")
    scheduler.add_job(run_lifetime_fit, CronTrigger(hour=4), args=[services], id="lifetime")
    scheduler.add_job(
        run_segment_snapshots, CronTrigger(hour=5), args=[services], id="segment_snapshots"
    )
    scheduler.add_job(run_review_tasks, CronTrigger(hour=6), args=[services], id="review_tasks")
    scheduler.add_job(
        run_session_purge, CronTrigger(minute=17), args=[services], id="web_session_purge"
    )
    scheduler.start()
    return scheduler
