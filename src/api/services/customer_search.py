"""Finding customers by a whole e-mail address (the blind index) or part of a name (the
directory view), shared by the API and the web UI."""

from __future__ import annotations

from uuid import UUID

from api.bootstrap.wiring import Services
from crm.domain.errors import InvalidFieldError
from projections.views.directory import CustomerDirectory


def find_customer_ids(services: Services, query: str, limit: int) -> list[UUID]:
    """Matching customers: the e-mail match first, then name matches, without repeats."""
    found: list[UUID] = []
    if "@" in query:
        try:
            by_email = services.crm.find_by_email(query)
        except InvalidFieldError:
            by_email = None  # not an address after all: search names only
        if by_email is not None:
            found.append(by_email)
    found.extend(services.views.get(CustomerDirectory).search_names(query, limit))
    return list(dict.fromkeys(found))[:limit]
