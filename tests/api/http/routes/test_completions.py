"""The completion registry over HTTP: look-ups by learner, organisation, offering and period, a
transcript and a staff report in Finnish and English, and a retracted completion leaving it."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient
from pypdf import PdfReader

from api.bootstrap.wiring import Services
from crm.application.users import Role
from crm.domain.offering import OfferingTerms
from projections.engine.runner import wait_until_caught_up
from tests.factories import RoleHeaders, provenance, register, unique


def completed(services: Services, person: UUID, days_ago: int, **fields: Any) -> int:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    body = {"notes": None, "course": "Kurssi", "credits": Decimal(5), **fields}
    return services.crm.record_touchpoint(person, provenance(at), "course_completed", body).version


def pdf_text(document: bytes) -> str:
    """The text a PDF reader extracts from every page."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_registry_finds_completions_by_learner_staff_offering_and_period(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    code = f"REG-{uuid.uuid4().hex[:8].upper()}"
    services.catalogue.add_offering(
        code,
        OfferingTerms("Johtaminen", "Leadership", "open_training", "TaY", Decimal(300), Decimal(5)),
        "test",
    )
    employer = register(services.crm, "organisation", name=unique("Työnantaja"))
    staff = [register(services.crm, name=unique("Työntekijä")) for _ in range(2)]
    outsider = register(services.crm, name=unique("Ulkopuolinen"))
    for person in staff:
        services.crm.start_affiliation(person, provenance(), employer, None)
    completed(services, staff[0], 40, offering_code=code, grade="5", course="Johtaminen I")
    completed(services, staff[0], 10, credits=Decimal("2.5"), course="Excel")
    completed(services, staff[1], 5, offering_code=code, grade="hyväksytty")
    retracted = completed(services, staff[1], 3, course="Väärin kirjattu")
    completed(services, outsider, 5, offering_code=code)
    services.crm.retract_entry(staff[1], provenance(), retracted, "kirjattu väärälle")
    wait_until_caught_up(services.projector, services.views.refresh())
    am = as_role[Role.ACCOUNT_MANAGER]

    def look(**params: str) -> dict[str, Any]:
        response = client.get("/completions", params=params, headers=am)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    mine = look(person=str(staff[0]))
    assert mine["total"] == 2 and mine["credits"] == "7.5"
    assert [c["course"] for c in mine["completions"]] == ["Excel", "Johtaminen I"]
    assert mine["completions"][1]["offering_name_en"] == "Leadership"
    assert mine["completions"][1]["grade"] == "5"
    team = look(organisation=str(employer))
    assert team["total"] == 3, "the staff's completions, the retracted one and outsiders left out"
    by_code = look(offering_code=code.lower())
    assert {c["customer_id"] for c in by_code["completions"]} == {
        str(staff[0]),
        str(staff[1]),
        str(outsider),
    }
    recent = (datetime.now(UTC) - timedelta(days=20)).date().isoformat()
    assert look(organisation=str(employer), start=recent)["total"] == 2
    backwards = client.get("/completions", params={"start": "2026-02-01", "end": "2026-01-01"},
                           headers=am)  # fmt: skip
    assert backwards.status_code == 422

    transcript = client.get(
        "/completions/transcript.csv", params={"person": str(staff[0]), "language": "en"},
        headers=am,
    )  # fmt: skip
    assert transcript.status_code == 200
    lines = rows_of(transcript.text)
    assert lines[0][:3] == ["Learner", "Completed on", "Course"]
    assert [line[2] for line in lines[1:3]] == ["Johtaminen I", "Excel"], "oldest first"
    assert lines[1][4] == "Leadership" and lines[-1][0] == "Total" and lines[-1][5] == "7.5"
    report = client.get(
        "/completions/staff-report.csv", params={"organisation": str(employer)}, headers=am
    )
    finnish = rows_of(report.text)
    assert finnish[0][:2] == ["Henkilö", "Suorituspäivä"] and finnish[-1][0] == "Yhteensä"
    assert len(finnish) == 1 + 3 + 1
    pdf = client.get(
        "/completions/transcript.pdf", params={"person": str(staff[0]), "language": "en"},
        headers=am,
    )  # fmt: skip
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Transcript of completions" in text and "Johtaminen I (Leadership)" in text
    assert "Excel" in text and "Total" in text and "7.5" in text
    staff_pdf = client.get(
        "/completions/staff-report.pdf", params={"organisation": str(employer)}, headers=am
    )
    finnish_text = pdf_text(staff_pdf.content)
    assert "Henkilöstön suoritukset" in finnish_text and "hyväksytty" in finnish_text
    assert "Yhteensä" in finnish_text
    assert client.get("/completions", headers=as_role[Role.MARKETING]).status_code == 403
    assert client.get("/completions", headers=as_role[Role.FINANCE]).status_code == 403


def test_an_erased_learner_keeps_credits_but_not_the_course_or_grade(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    person = register(services.crm, name=unique("Poistettava"))
    completed(services, person, 2, grade="3", course="Salainen kurssi")
    customer = services.crm.get_customer(person)
    customer.erase(provenance(), "request")
    services.crm.save(customer)
    wait_until_caught_up(services.projector, services.views.refresh())
    answer = client.get(
        "/completions", params={"person": str(person)}, headers=as_role[Role.DPO]
    ).json()
    [row] = answer["completions"]
    assert row["course"] is None and row["grade"] is None and row["credits"] == "5"
