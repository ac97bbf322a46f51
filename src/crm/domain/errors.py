"""Errors the write side raises when a command cannot be carried out."""

from __future__ import annotations

from datetime import datetime

from crm.domain.calendar import local_text


class CRMError(Exception):
    """Base class of the errors a command can end in."""


class InvalidFieldError(CRMError, ValueError):
    """A command's field holds a value the domain cannot accept."""

    def __init__(self, field: str, problem: str, code: str | None = None) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
        self.code = code
        """A stable name for the problem (e.g. "future"), for texts in the UI's language."""


class NotFoundError(CRMError, LookupError):
    """A command or read named something that does not exist."""


class CustomerNotFoundError(NotFoundError):
    """No customer has the given id."""

    def __init__(self, customer_id: object) -> None:
        super().__init__(f"No customer with id {customer_id}")
        self.customer_id = customer_id


class RuleViolationError(CRMError):
    """The command would break one of the customer's rules (consent, lead stages, refunds).

    `code` names the refusal for texts in the UI's language (`refusal.<code>`), and `params`
    fill its placeholders; the message is the API's English text. The code is required so
    that no refusal reaches a page without a translation (`test_refusal_texts`).
    """

    def __init__(self, message: str, *, code: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class ConsentRequiredError(RuleViolationError):
    """A marketing contact was attempted without a valid consent for its purpose."""

    def __init__(self, purpose: str, at: datetime | None = None) -> None:
        if at is None:
            super().__init__(
                f"There is no valid consent for {purpose.replace('_', ' ')};"
                " record the consent first.",
                code="consent_any",
                purpose=purpose,
            )
        else:
            super().__init__(
                f"There is no valid consent for {purpose.replace('_', ' ')}"
                f" on {local_text(at)} (Finnish time); record the consent first.",
                code="consent",
                purpose=purpose,
                at=at,
            )
        self.purpose = purpose
        self.at = at


class LeadTransitionError(RuleViolationError):
    """A lead was moved to a stage it cannot reach from where it stands."""


class PurchaseError(RuleViolationError):
    """A purchase or refund does not fit the purchases already recorded."""


class MembershipError(RuleViolationError):
    """A partner-membership change does not fit the current membership."""


class AffiliationError(RuleViolationError):
    """An affiliation links customers that cannot be linked that way."""


class CustomerErasedError(RuleViolationError):
    """The customer was erased and accepts no new events."""


class CustomerMergedError(RuleViolationError):
    """The customer was merged into another (the survivor) and accepts no new events."""

    def __init__(self, survivor_id: object) -> None:
        super().__init__(
            f"The customer was merged into customer {survivor_id} and accepts no new events;"
            " record them on that customer, or undo the merge.",
            code="merged",
            survivor=survivor_id,
        )
        self.survivor_id = survivor_id


class MergeError(RuleViolationError):
    """Two customers cannot be merged, or a merge cannot be undone, as asked."""


class MergeNotAllowedError(CRMError, PermissionError):
    """The user may not merge these customers (an account manager merges only their own)."""


class TaskError(RuleViolationError):
    """A task was planned twice, or completed or cancelled when no longer open."""


class OfferingNotFoundError(NotFoundError):
    """No offering in the catalogue has the given code."""

    def __init__(self, code: str) -> None:
        super().__init__(f"No offering with code {code}")
        self.code = code


class OfferingExistsError(RuleViolationError):
    """An offering with the code is in the catalogue already."""


class InvoiceError(RuleViolationError):
    """An invoice, payment or credit does not fit the purchases and invoices recorded."""
