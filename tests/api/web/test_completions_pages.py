"""The completion registry page as an account manager: a learner's completions, the transcript
download in the UI's language, and a bad date named in the page's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi import FastAPI

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.api.web_client import new_user, sign_in
from tests.factories import provenance, register, unique


def test_an_account_manager_reads_a_learners_completions_and_transcript(
    app: FastAPI, services: Services
) -> None:
    name = unique("Oppija")
    person = register(services.crm, name=name)
    services.crm.record_touchpoint(
        person, provenance(datetime.now(UTC) - timedelta(days=1)), "course_completed",
        {"notes": None, "course": "Tietoturva", "credits": Decimal(3), "grade": "4"},
    )  # fmt: skip
    wait_until_caught_up(services.projector, services.views.refresh())
    with sign_in(app, new_user(services, Role.ACCOUNT_MANAGER)) as am:
        customer_page = am.get(f"/ui/customers/{person}")
        assert f"/ui/completions?person={person}" in customer_page.text
        page = am.get("/ui/completions", params={"person": str(person)})
        assert page.status_code == 200
        assert name in page.text and "Tietoturva" in page.text and "1\u20131 / 1" in page.text
        am.cookies.set("crm_lang", "en")
        transcript = am.get("/ui/completions/report.csv", params={"person": str(person)})
        assert transcript.status_code == 200
        assert transcript.text.startswith("Learner,Completed on,Course")
        assert "Tietoturva" in transcript.text and "Total" in transcript.text
        bad = am.get("/ui/completions", params={"start": "31.2.2026"})
        assert bad.status_code == 422 and "From: is not a date" in bad.text
        nobody = am.get("/ui/completions/report.csv")
        assert nobody.status_code == 422 and "Person (id)" in nobody.text
