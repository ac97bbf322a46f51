"""The completion PDFs as a reader sees them: each page rendered to an image (PDFium, the
engine Chrome shows PDFs with) and its text read back with Tesseract OCR, so a font without a
glyph (ä, ö), text drawn outside the page or a blank page fails even where the PDF's text
layer would still extract."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pypdfium2
import pytest
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from crm.domain.calendar import HELSINKI, local_text
from crm.domain.offering import OfferingTerms
from projections.engine.runner import wait_until_caught_up
from tests.api.http.routes.test_completions import completed
from tests.factories import RoleHeaders, provenance, register, unique

TESSERACT = shutil.which("tesseract")
DPI = 200


def seen_text(document: bytes, folder: Path, language: str) -> str:
    """Every page rendered at DPI and read back by OCR, in the document's language."""
    pdf = pypdfium2.PdfDocument(document)
    read = []
    for number in range(len(pdf)):
        image = folder / f"page-{number}.png"
        pdf[number].render(scale=DPI / 72).to_pil().save(image)
        lang = {"fi": "fin", "en": "eng"}[language]
        result = subprocess.run(
            [str(TESSERACT), str(image), "-", "-l", lang],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        read.append(result.stdout)
    return "\n".join(read)


@pytest.mark.skipif(TESSERACT is None, reason="Tesseract OCR is installed by `make test`")
def test_the_transcript_and_staff_report_read_back_from_their_rendered_pages(
    client: TestClient, as_role: RoleHeaders, services: Services, tmp_path: Path
) -> None:
    code = f"OCR-{uuid.uuid4().hex[:6].upper()}"
    services.catalogue.add_offering(
        code,
        OfferingTerms("Työhyvinvointi", "Wellbeing", "open_training", "TaY", Decimal(300), None),
        "test",
    )
    employer = register(services.crm, "organisation", name=unique("Työnantaja"))
    person = register(services.crm, name="Päivi Söderström")
    services.crm.start_affiliation(person, provenance(), employer, None)
    completed(services, person, 30, offering_code=code, grade="hyväksytty", course="Työhyvinvointi")
    completed(services, person, 10, credits=Decimal("2.5"), course="Excel")
    wait_until_caught_up(services.projector, services.views.refresh())
    am = as_role[Role.ACCOUNT_MANAGER]

    staff = client.get(
        "/completions/staff-report.pdf", params={"organisation": str(employer)}, headers=am
    )
    assert staff.status_code == 200
    finnish = seen_text(staff.content, tmp_path, "fi")
    # Days as Finnish writes them, not ISO: the day 10 days back, e.g. "28.11.2026".
    day = local_text((datetime.now(HELSINKI) - timedelta(days=10)).date(), "fi")
    assert day in finnish, (day, finnish)
    for words in ("Henkilöstön suoritukset", "Päivi Söderström", "Työhyvinvointi", "hyväksytty",
                  "Yhteensä", "7,5", "2,5"):  # fmt: skip
        assert words in finnish, (words, finnish)

    transcript = client.get(
        "/completions/transcript.pdf", params={"person": str(person), "language": "en"},
        headers=am,
    )  # fmt: skip
    english = seen_text(transcript.content, tmp_path, "en")
    for words in ("Transcript of completions", "Wellbeing", "Excel", "Total", "7.5"):
        assert words in english, (words, english)
