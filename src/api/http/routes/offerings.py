"""The offering catalogue: list and read (everyone); add, revise, retire, reinstate (admin and
marketing)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from api.http.access_log import AccessLogged
from api.http.auth import current_user, require
from api.http.dependencies import ServicesDep, wait_until_visible
from api.http.parameters import After, Offset
from api.permissions import Permission
from api.services.offering_mapping import mapping_report
from crm.application.users import User
from crm.domain.errors import OfferingNotFoundError
from crm.domain.offering import MAX_CREDITS, MAX_NAME_LENGTH, MAX_PRICE, OfferingTerms, normal_code
from crm.domain.vocabulary import Institution, OfferingType
from projections.views.offerings import Offerings

router = APIRouter(tags=["offerings"])
Reader = Annotated[User, Depends(current_user)]
Maintainer = Annotated[User, Depends(require(Permission.MANAGE_OFFERINGS))]
Mapper = Annotated[User, Depends(require(Permission.MAP_OFFERINGS))]
Code = Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]


class OfferingTermsIn(BaseModel):
    """What the catalogue says of an offering."""

    model_config = ConfigDict(extra="forbid")
    name_fi: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    name_en: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    offering_type: OfferingType
    institution: Institution
    list_price: Decimal = Field(ge=0, le=MAX_PRICE, max_digits=12, decimal_places=2)
    credits: Decimal | None = Field(
        None, gt=0, le=MAX_CREDITS, max_digits=5, decimal_places=1, description="ECTS credits."
    )

    def terms(self) -> OfferingTerms:
        return OfferingTerms(
            self.name_fi,
            self.name_en,
            self.offering_type,
            self.institution,
            self.list_price,
            self.credits,
        )


class OfferingIn(OfferingTermsIn):
    """A new offering: its code (letters, digits, hyphens; stored in upper case) and terms."""

    code: Code


class OfferingOut(BaseModel):
    code: str
    name_fi: str
    name_en: str
    offering_type: str
    institution: str
    list_price: Decimal
    credits: Decimal | None
    active: bool
    changed_at: datetime
    changed_by: str


class OfferingPageOut(BaseModel):
    """A page of the catalogue: items `offset + 1` to `offset + len(offerings)` of `total`."""

    offerings: list[OfferingOut]
    total: int
    offset: int


class MappedTextOut(BaseModel):
    text: str
    entries: int
    code: str | None


class MappingReportOut(BaseModel):
    """Free-text offering names of the newest `scanned` of `total` entries that name no
    catalogue code, unmatched first."""

    texts: list[MappedTextOut]
    scanned: int
    total: int


class CatalogueRecordedOut(BaseModel):
    code: str
    position: int | None


@router.get("/offerings")
def list_offerings(
    services: ServicesDep,
    user: Reader,
    text: Annotated[str, Query(max_length=200, description="Part of the code or a name.")] = "",
    offering_type: OfferingType | None = None,
    institution: Institution | None = None,
    state: Literal["active", "retired", "all"] = "all",
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: After = None,
) -> OfferingPageOut:
    """The catalogue by code, filtered and paged, with the number of offerings that match."""
    view = services.views.get(Offerings)
    wait_until_visible(services, [view], after)
    rows, total = view.page(
        text=text,
        offering_type=offering_type,
        institution=institution,
        active=None if state == "all" else state == "active",
        offset=offset,
        limit=limit,
    )
    return OfferingPageOut(
        offerings=[OfferingOut.model_validate(dict(row)) for row in rows],
        total=total,
        offset=offset,
    )


@router.get("/offerings/{code}")
def read_offering(
    code: str, services: ServicesDep, user: Reader, after: After = None
) -> OfferingOut:
    view = services.views.get(Offerings)
    wait_until_visible(services, [view], after)
    row = view.get(normal_code(code)) if len(code) <= 40 else None
    if row is None:
        raise OfferingNotFoundError(code[:40])
    return OfferingOut.model_validate(dict(row))


@router.get("/offering-mapping")
def read_offering_mapping(
    services: ServicesDep, user: Mapper, access: AccessLogged
) -> MappingReportOut:
    """Which legacy free-text offering names (purchases, completions, recommendations,
    feedback without a code) match a catalogue code or name, and which do not."""
    report = mapping_report(services)
    access.record(user, report.customers)
    return MappingReportOut(
        texts=[MappedTextOut(**vars(text)) for text in report.texts],
        scanned=report.scanned,
        total=report.total,
    )


@router.post("/offerings", status_code=201)
def add_offering(
    offering: Annotated[OfferingIn, Body()], services: ServicesDep, user: Maintainer
) -> CatalogueRecordedOut:
    """Add an offering; a code the catalogue has already is 409."""
    recorded = services.catalogue.add_offering(offering.code, offering.terms(), user.name)
    return CatalogueRecordedOut(**vars(recorded))


@router.put("/offerings/{code}")
def revise_offering(
    code: str, terms: Annotated[OfferingTermsIn, Body()], services: ServicesDep, user: Maintainer
) -> CatalogueRecordedOut:
    """Change an offering's names, type, institution, price or credits (its code stays)."""
    recorded = services.catalogue.revise_offering(code, terms.terms(), user.name)
    return CatalogueRecordedOut(**vars(recorded))


@router.post("/offerings/{code}/retirement", status_code=201)
def retire_offering(code: str, services: ServicesDep, user: Maintainer) -> CatalogueRecordedOut:
    """Stop selling the offering; entries naming its code keep it (409 if retired already)."""
    return CatalogueRecordedOut(**vars(services.catalogue.retire_offering(code, user.name)))


@router.delete("/offerings/{code}/retirement")
def reinstate_offering(code: str, services: ServicesDep, user: Maintainer) -> CatalogueRecordedOut:
    """Sell a retired offering again (409 if it is not retired)."""
    return CatalogueRecordedOut(**vars(services.catalogue.reinstate_offering(code, user.name)))
