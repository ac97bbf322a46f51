"""Customers: register or match, read, search, account manager and affiliations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from api.http.access_log import AccessLogged
from api.http.auth import require
from api.http.dependencies import (
    IdempotencyHeader,
    ServicesDep,
    client_key,
    provenance,
    record_keeping_provenance,
    wait_until_visible,
)
from api.http.parameters import After, Offset
from api.http.schemas import (
    AccountManagerIn,
    AffiliationIn,
    AffiliationOut,
    CustomerIn,
    CustomerOut,
    CustomerPageOut,
    CustomerSearchIn,
    CustomerSummaryOut,
    ProfileIn,
    RecordedOut,
)
from api.permissions import Permission, can
from api.services.contacts import visible_contacts
from api.services.customer_search import find_customers
from crm.application.users import User
from crm.domain.consents import consent_state
from crm.domain.customer import Customer
from crm.domain.errors import InvalidFieldError
from crm.domain.vocabulary import CustomerKind
from projections.views.directory import CustomerDirectory, Sort

router = APIRouter(prefix="/customers", tags=["customers"])
Writer = Annotated[User, Depends(require(Permission.WRITE_CUSTOMERS))]
Reader = Annotated[User, Depends(require(Permission.READ_CUSTOMERS))]


def customer_out(customer: Customer, user: User, validity_months: int) -> CustomerOut:
    """The customer as `user` may see it; consents as of now (none once erased)."""
    now = datetime.now(UTC)
    contacts = visible_contacts(user, customer, now, validity_months)
    return CustomerOut(
        id=customer.id,
        kind=customer.kind,
        customer_type=customer.customer_type,
        name=customer.name,
        email=contacts.email,
        phone=contacts.phone,
        sector=customer.sector,
        account_manager=customer.account_manager,
        first_seen=customer.first_seen,
        affiliations=[
            AffiliationOut(organisation_id=UUID(org), since=since)
            for org, since in customer.affiliations.items()
        ],
        consents={}
        if customer.erased
        else consent_state(customer.consent_changes, now, validity_months),
        lead_stages=customer.lead_stages,
        membership_tier=customer.membership_tier,
        erased=customer.erased,
        merged_into=customer.merged_into,
        merged_records=[UUID(absorbed) for absorbed in customer.absorbed],
        restricted=customer.restricted,
        contacts_withheld=contacts.withheld,
        version=customer.version,
    )


@router.post("", status_code=201, responses={200: {"model": RecordedOut}})
def register_customer(
    body: CustomerIn,
    response: Response,
    services: ServicesDep,
    user: Writer,
    access: AccessLogged,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Register a person or organisation; an existing e-mail returns that customer (200).

    Answering with an existing customer confirms that the address is known, so it is logged.
    """
    recorded = services.crm.register_customer(
        provenance(
            user,
            occurred_at=body.occurred_at,
            institution=body.institution,
            channel=body.channel,
            idempotency_key=client_key(
                services,
                user,
                body.idempotency_key or idempotency_key,
                {"register": body.model_dump(mode="json")},
            ),
        ),
        customer_kind=body.kind,
        customer_type=body.customer_type,
        name=body.name,
        email=body.email,
        phone=body.phone,
        sector=body.sector,
        account_manager=body.account_manager,
    )
    if recorded.duplicate:
        response.status_code = 200
        access.record(user, [recorded.customer_id])
    return RecordedOut(**vars(recorded))


EMAIL_IN_URL = (
    "an e-mail address must not travel in a URL (logs, browser history):"
    " send it with POST /customers/search"
)


@router.get("")
def search_customers(
    services: ServicesDep,
    user: Reader,
    access: AccessLogged,
    query: Annotated[
        str,
        Query(
            max_length=200,
            description="Part of a name, a domain or a phone number, ignoring case and"
            " accents; an organisation's name also finds its people. Empty: everyone. An"
            " e-mail is refused here: use `POST /customers/search`.",
        ),
    ] = "",
    kind: Annotated[CustomerKind | None, Query(description="Only people or organisations.")] = None,
    mine: Annotated[bool, Query(description="Only the caller's own customers.")] = False,
    account_manager: Annotated[
        str | None, Query(max_length=200, description="Only this account manager's customers.")
    ] = None,
    sort: Annotated[
        Sort,
        Query(
            description="relevance (shortest matching name first), name or first_seen;"
            " a leading minus reverses."
        ),
    ] = "relevance",
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: After = None,
) -> CustomerPageOut:
    """A page of matching customers with the total that match (each listed one's access is
    logged). Readers who may not see contact details match names, and a whole e-mail."""
    if "@" in query:
        problem = {"loc": ["query", "query"], "msg": EMAIL_IN_URL, "type": "value_error"}
        raise HTTPException(422, [problem])
    search = CustomerSearchIn(
        query=query,
        kind=kind,
        mine=mine,
        account_manager=account_manager,
        sort=sort,
        offset=offset,
        limit=limit,
        after=after,
    )
    return _search(services, user, access, search)


@router.post("/search")
def search_customers_by_body(
    services: ServicesDep, user: Reader, access: AccessLogged, search: CustomerSearchIn
) -> CustomerPageOut:
    """The same search with the query in the body, so a name or an e-mail stays out of URLs
    (each listed customer's access is logged)."""
    return _search(services, user, access, search)


def _search(
    services: ServicesDep, user: User, access: AccessLogged, search: CustomerSearchIn
) -> CustomerPageOut:
    wait_until_visible(services, [services.views.get(CustomerDirectory)], search.after)
    rows, total = find_customers(
        services,
        search.query,
        by_contacts=can(user, Permission.READ_CONTACT_DETAILS),
        kind=search.kind,
        account_manager=user.name if search.mine else search.account_manager,
        sort=search.sort,
        offset=search.offset,
        limit=search.limit,
    )
    results = []
    now = datetime.now(UTC)
    validity = services.settings.consent_validity_months
    for row in rows:
        customer = services.crm.get_customer(row["customer_id"])
        contacts = visible_contacts(user, customer, now, validity)
        results.append(
            CustomerSummaryOut(
                id=customer.id,
                kind=customer.kind,
                name=customer.name,
                email=contacts.email,
                sector=customer.sector,
                account_manager=customer.account_manager,
                restricted=customer.restricted,
                contacts_withheld=contacts.withheld,
            )
        )
    access.record(user, [r.id for r in results])
    return CustomerPageOut(items=results, total=total, offset=search.offset, limit=search.limit)


@router.get("/{customer_id}")
def read_customer(
    customer_id: UUID, services: ServicesDep, user: Reader, access: AccessLogged
) -> CustomerOut:
    """A customer's profile, consents, leads and membership as they stand now (access logged)."""
    customer = customer_out(
        services.crm.get_customer(customer_id), user, services.settings.consent_validity_months
    )
    access.record(user, [customer_id])
    return customer


@router.patch("/{customer_id}/profile")
def correct_profile(
    customer_id: UUID,
    body: ProfileIn,
    services: ServicesDep,
    user: Writer,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Correct contact details (GDPR rectification); the e-mail look-up follows a new e-mail."""
    changes = body.model_dump(include={"name", "email", "phone", "sector"}, exclude_none=True)
    if not changes:
        raise InvalidFieldError("name", "give at least one of name, email, phone, sector")
    recorded = services.crm.correct_profile(
        customer_id,
        record_keeping_provenance(
            services,
            user,
            body.idempotency_key or idempotency_key,
            {"profile": body.model_dump(mode="json"), "customer_id": str(customer_id)},
        ),
        **changes,
    )
    return RecordedOut(**vars(recorded))


@router.put("/{customer_id}/account-manager")
def assign_account_manager(
    customer_id: UUID,
    body: AccountManagerIn,
    services: ServicesDep,
    user: Writer,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Make a named account manager the customer's one point of contact."""
    recorded = services.crm.assign_account_manager(
        customer_id,
        record_keeping_provenance(
            services,
            user,
            body.idempotency_key or idempotency_key,
            {"account_manager": body.model_dump(mode="json"), "customer_id": str(customer_id)},
        ),
        body.account_manager,
    )
    return RecordedOut(**vars(recorded))


@router.post("/{customer_id}/affiliations", status_code=201)
def start_affiliation(
    customer_id: UUID,
    body: AffiliationIn,
    services: ServicesDep,
    user: Writer,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Link a person to an organisation they act for."""
    recorded = services.crm.start_affiliation(
        customer_id,
        record_keeping_provenance(
            services,
            user,
            body.idempotency_key or idempotency_key,
            {"affiliation": body.model_dump(mode="json"), "customer_id": str(customer_id)},
            occurred_at=body.occurred_at,
        ),
        body.organisation_id,
        body.role,
    )
    return RecordedOut(**vars(recorded))


@router.delete("/{customer_id}/affiliations/{organisation_id}")
def end_affiliation(
    customer_id: UUID,
    organisation_id: UUID,
    services: ServicesDep,
    user: Writer,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """End a person's link to an organisation."""
    recorded = services.crm.end_affiliation(
        customer_id,
        record_keeping_provenance(
            services,
            user,
            idempotency_key,
            {"end_affiliation": str(organisation_id), "customer_id": str(customer_id)},
        ),
        organisation_id,
    )
    return RecordedOut(**vars(recorded))
