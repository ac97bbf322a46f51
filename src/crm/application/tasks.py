"""Tasks the system plans itself: an annual review due becomes a task for the partner's owner."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from crm.application.crm import CRM, Recorded
from crm.application.privacy import PRIVACY_INSTITUTION
from crm.domain.customer import Provenance
from crm.domain.errors import CustomerNotFoundError, RuleViolationError

log = logging.getLogger(__name__)

REVIEW_TASK_USER = "review-reminder-job"
REVIEW_TASK_CHANNEL = "other"


@dataclass(frozen=True)
class DueReview:
    """A partner whose annual review falls due, and who owns the customer."""

    customer_id: UUID
    due_on: date
    owner: str


def plan_review_tasks(crm: CRM, due: Iterable[DueReview], now: datetime) -> list[Recorded]:
    """Plan a review task for each partner due one, once per due day: the task id and the
    idempotency key come from the customer and the due day, so a rerun plans nothing new.
    Returns what was planned now (duplicates left out)."""
    planned: list[Recorded] = []
    for review in due:
        provenance = Provenance(
            occurred_at=now,
            institution=PRIVACY_INSTITUTION,
            channel=REVIEW_TASK_CHANNEL,
            recorded_by=REVIEW_TASK_USER,
            idempotency_key=f"review-task:{review.due_on.isoformat()}",
        )
        try:
            recorded = crm.plan_task(
                review.customer_id,
                provenance,
                task_kind="review",
                due_on=review.due_on,
                owner=review.owner,
                title=f"Annual review due {review.due_on:%d.%m.%Y}",
                task_id=f"review-{review.due_on:%Y%m%d}",
            )
        except (CustomerNotFoundError, RuleViolationError) as error:
            log.info("review task: %s skipped: %s", review.customer_id, error)
            continue
        if not recorded.duplicate:
            planned.append(recorded)
    return planned
