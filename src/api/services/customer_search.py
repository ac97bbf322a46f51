"""Finding customers by part of a name, an e-mail, a domain or a phone number, or by the name
of their organisation (the directory view), paged and sorted, shared by the API and the web
UI. Readers who may not see contact details match names only, and a whole e-mail address
through the blind index, as they always could."""

from __future__ import annotations

from typing import Any

from api.bootstrap.wiring import Services
from crm.domain.errors import InvalidFieldError
from projections.views.directory import CustomerDirectory, Sort
from projections.views.organisations import Organisations


def find_customers(
    services: Services,
    query: str,
    *,
    by_contacts: bool,
    kind: str | None = None,
    account_manager: str | None = None,
    sort: Sort = "relevance",
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """A page of matching customers (directory rows; a whole-address match found through the
    blind index holds only `customer_id`) and how many match in all. `by_contacts`: the
    reader may see contact details (`Permission.READ_CONTACT_DETAILS`), so parts of them
    match too."""
    # A whole address goes through the blind index first: it finds the customer for every
    # role, and a merged record's address finds its survivor.
    if "@" in query:
        try:
            found = services.crm.find_by_email(query.strip())
        except InvalidFieldError:
            found = None  # not an address after all: search names only
        if found is not None:
            return ([{"customer_id": found}] if offset == 0 else []), 1
    rows, total = services.views.get(CustomerDirectory).search(
        query,
        affiliations=services.views.get(Organisations),
        by_contacts=by_contacts,
        kind=kind,
        account_manager=account_manager,
        sort=sort,
        offset=offset,
        limit=limit,
    )
    return [dict(row) for row in rows], total
