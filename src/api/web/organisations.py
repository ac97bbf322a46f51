"""The organisation side of the customer page: its people with roles, the roll-up of its and
its people's figures, staff course completions, membership, reviews and open leads; and, on a
person's page, the organisations the person acts for, by name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import Request

from api.bootstrap.wiring import Services
from api.http.routes.organisations import FiguresOut, combine
from api.web.forms import link_position
from crm.domain.customer import Customer
from crm.domain.vocabulary import PARTNER_BENEFITS, PROGRAMMES
from projections.engine.merges import MergeMap
from projections.views.digimentors import Digimentors
from projections.views.directory import CustomerDirectory
from projections.views.indicators import CustomerIndicators
from projections.views.organisations import Organisations
from projections.views.partner_tiers import PartnerTiers
from projections.views.partners import Partners
from projections.views.timeline import Timeline

PEOPLE_PAGE = 50
COMPLETIONS_SHOWN = 20
OPEN_LEAD_STAGES = ("captured", "qualified")


def _page_number(request: Request) -> int:
    return max(1, link_position(request.query_params.get("people_page"), 1))


def organisation_context(
    services: Services, request: Request, organisation: Customer
) -> dict[str, Any]:
    """What the page of an organisation shows beside the profile; the people's ids whose
    names it shows are under "shown_ids" (their reads go to the access log)."""
    organisations = services.views.get(Organisations)
    indicators = services.views.get(CustomerIndicators)
    directory = services.views.get(CustomerDirectory)
    merges = services.views.get(MergeMap)
    rollup = organisations.rollup(
        organisation.id, indicators, merges, datetime.now(UTC), with_members=False
    )
    if rollup is None:
        return {"organisation": None, "shown_ids": []}
    own = FiguresOut(**{k: rollup["own"][k] for k in FiguresOut.model_fields})
    people = FiguresOut(**{k: rollup["people"][k] for k in FiguresOut.model_fields})
    count = int(rollup["people"]["people"])
    page = min(_page_number(request), max(1, -(-count // PEOPLE_PAGE)))
    offset = (page - 1) * PEOPLE_PAGE
    rows = organisations.people(organisation.id, directory, merges, PEOPLE_PAGE, offset)
    person_ids = [row["person_id"] for row in rows]
    completions = services.views.get(Timeline).of_kind(
        [
            stream
            for member in organisations.members(organisation.id, merges)
            for stream in member["streams"]
        ],
        "course_completed",
        COMPLETIONS_SHOWN + 1,
    )
    completion_names = directory.names(list({row["customer_id"] for row in completions}))
    reviews = services.views.get(Timeline).of_kind(
        merges.histories(organisation.id), "annual_review_held", 5
    )
    return {
        "organisation": {
            "own": own,
            "people": people,
            "combined": combine(own, people),
            "count": count,
            "rows": rows,
            "first": offset + 1 if rows else 0,
            "last": offset + len(rows),
            "page": page,
            "has_next": offset + len(rows) < count,
            "completions": completions[:COMPLETIONS_SHOWN],
            "more_completions": len(completions) > COMPLETIONS_SHOWN,
            "completion_names": completion_names,
            "reviews": reviews,
            "digimentors": services.views.get(Digimentors).of_organisation(organisation.id),
            "last_review": rollup["own"].get("last_annual_review"),
            "open_leads": {
                lead: stage
                for lead, stage in organisation.lead_stages.items()
                if stage in OPEN_LEAD_STAGES
            },
        },
        "shown_ids": [*person_ids, *completion_names],
    }


def employer_context(services: Services, person: Customer) -> dict[str, Any]:
    """The organisations a person acts for, by name and role."""
    employers = services.views.get(Organisations).employers(
        person.id, services.views.get(CustomerDirectory), services.views.get(MergeMap)
    )
    return {"employers": employers}


def partner_context(services: Services, customer_id: UUID) -> dict[str, Any]:
    """What the organisation page shows of the partnership: membership and review state, the
    tier's benefits, programmes, and the choices of the benefit form."""
    partners = services.views.get(Partners)
    partner = partners.partner(customer_id)
    tiers = services.views.get(PartnerTiers)
    tier = tiers.get(partner["tier"]) if partner and partner["tier"] else None
    return {
        "partner": partner,
        "partner_tier": tier,
        "partner_programmes": partners.programmes_of(customer_id),
        "partner_benefits_used": partners.benefits_used(customer_id),
        "benefit_choices": PARTNER_BENEFITS,
        "programme_choices": PROGRAMMES,
    }
