"""What contact details a reader may see of a customer: the one rule every summary uses.

Roles with `READ_CONTACT_DETAILS` (account managers, the DPO) see e-mail and phone. Others
(marketing) see no phone, and the e-mail only of a customer who holds a marketing consent in
force now and whose processing is not restricted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from api.permissions import Permission, can
from crm.application.users import User
from crm.domain.customer import Customer
from crm.domain.vocabulary import PURPOSES


@dataclass(frozen=True)
class Contacts:
    """The contact details shown, and whether any were held back."""

    email: str | None
    phone: str | None
    withheld: bool


def visible_contacts(
    user: User, customer: Customer, now: datetime, validity_months: int
) -> Contacts:
    """The customer's e-mail and phone as this user may see them at `now` (roles without
    contact details see the e-mail while a consent given within `validity_months` holds)."""
    if can(user, Permission.READ_CONTACT_DETAILS):
        return Contacts(customer.email, customer.phone, False)
    consented = any(customer.has_consent(purpose, now, validity_months) for purpose in PURPOSES)
    email = customer.email if consented and not customer.restricted else None
    return Contacts(email, None, email != customer.email or customer.phone is not None)
