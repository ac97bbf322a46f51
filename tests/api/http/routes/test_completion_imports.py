"""Completions imported from the learning platforms' exports: Moodle's course completion
report (CSV and Excel's UTF-16) and grades export (.xlsx), and a completion list with course
codes; codes mapped to the catalogue, unknown ones reported per row, dry runs storing
nothing, and the completions found in the registry."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.bootstrap.wiring import Services
from api.cli.main import app as cli
from crm.application.users import Role
from crm.domain import events as ev
from crm.domain.offering import OfferingTerms
from projections.engine.runner import wait_until_caught_up
from tests.factories import RoleHeaders, unique
from tests.import_files import (
    MOODLE_EXPORTED_AT,
    lms_completion_list,
    moodle_completion_report,
    moodle_grades_workbook,
)
from tests.processes import crm_environment

pytestmark = pytest.mark.postgres


def course(services: Services, credits: str | None = "5") -> str:
    """A new catalogue entry's code."""
    code = f"DIGI-{uuid.uuid4().hex[:6].upper()}"
    terms = OfferingTerms(
        "Digitaalinen liiketoiminta",
        "Digital business",
        "open_training",
        "TAMK",
        Decimal(400),
        Decimal(credits) if credits else None,
    )
    services.catalogue.add_offering(code, terms, "test")
    return code


def upload(client: TestClient, as_role: RoleHeaders, body: bytes, **params: str) -> dict[str, Any]:
    response = client.post("/imports", params=params, content=body,
                           headers=as_role[Role.ACCOUNT_MANAGER])  # fmt: skip
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


def completions(services: Services, email: str) -> list[ev.CourseCompleted]:
    customer_id = services.crm.find_by_email(email)
    if customer_id is None:
        return []
    journey = services.crm.get_journey(customer_id)
    return [e for e in journey if isinstance(e, ev.CourseCompleted)]


def emails(prefix: str, n: int) -> list[str]:
    return [f"{unique(prefix)}@example.fi" for _ in range(n)]


@pytest.mark.parametrize("excel", [False, True], ids=["csv", "excel-utf16"])
def test_a_moodle_completion_report_records_its_completed_learners_against_the_catalogue(
    client: TestClient, as_role: RoleHeaders, services: Services, excel: bool
) -> None:
    code = course(services)
    done, waiting = emails("mc", 2), emails("mw", 1)[0]
    body = moodle_completion_report(done, waiting, excel=excel)
    source = f"completion-{code.lower()}.csv"
    dry = upload(client, as_role, body, source=source, dry_run="true")
    assert dry["mapping"] == "moodle_course_completion"
    assert (dry["recorded"], dry["invalid"]) == (2, 1)
    assert completions(services, done[0]) == []

    report = upload(client, as_role, body, source=source)
    assert (report["rows"], report["recorded"], report["invalid"]) == (3, 2, 1)
    assert report["errors"] == [
        {"line": 4, "field": "occurred_at",
         "reason": "is empty: the learner has not completed the course"}
    ]  # fmt: skip
    (first,) = completions(services, done[0])
    assert first.offering_code == code
    assert first.course == "Digitaalinen liiketoiminta"
    assert first.credits == Decimal(5)
    assert first.occurred_at.isoformat() == "2025-06-03T14:33:00+03:00"
    assert completions(services, waiting) == []

    wait_until_caught_up(services.projector, services.views.refresh())
    registry = client.get(
        "/completions", params={"offering_code": code}, headers=as_role[Role.ACCOUNT_MANAGER]
    ).json()
    assert registry["total"] == 2 and registry["credits"] == "10"


def test_a_course_the_catalogue_lacks_is_an_error_on_every_row_and_records_nothing(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    done = emails("mu", 2)
    body = moodle_completion_report(done, emails("mv", 1)[0])
    report = upload(client, as_role, body, source="completion-ei-luettelossa.csv")
    assert report["recorded"] == 0 and report["invalid"] == 3
    reasons = {(e["field"], e["reason"]) for e in report["errors"]}
    assert ("offering_code", "is not in the offering catalogue") in reasons
    assert all(completions(services, email) == [] for email in done)


def test_a_renamed_export_needs_the_course_named_with_the_import(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    code = course(services)
    done = emails("mr", 1)
    body = moodle_completion_report(done, emails("mx", 1)[0])
    unnamed = upload(client, as_role, body, source="raportti.csv")
    assert unnamed["recorded"] == 0
    assert unnamed["errors"][0]["field"] == "offering_code"
    named = upload(client, as_role, body, source="raportti.csv", offering_code=code.lower())
    assert named["recorded"] == 1
    assert completions(services, done[0])[0].offering_code == code


def test_a_moodle_grades_workbook_records_the_course_total_as_the_grade(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    code = course(services, credits="3")
    graded, ungraded = emails("mg", 2), emails("mn", 1)[0]
    body = moodle_grades_workbook(graded, ungraded)
    report = upload(client, as_role, body, source=f"{code} Grades.xlsx")
    assert report["mapping"] == "moodle_grades"
    assert (report["recorded"], report["invalid"]) == (2, 1)
    assert report["errors"][0]["field"] == "grade"
    (first,) = completions(services, graded[0])
    assert (first.grade, first.credits, first.offering_code) == ("4", Decimal(3), code)
    assert int(first.occurred_at.timestamp()) == MOODLE_EXPORTED_AT


def test_a_completion_list_with_course_codes_maps_each_row_and_reports_unknown_codes(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    code = course(services)
    known, unknown, bad_date = emails("lk", 1)[0], emails("lu", 1)[0], emails("lb", 1)[0]
    body = lms_completion_list(
        [
            (known, code.lower(), "30.5.2025", "2,5", "hyväksytty"),
            (unknown, "TUNTEMATON-1", "30.5.2025", "5", "3"),
            (bad_date, code, "eilen", "5", "3"),
        ]
    )
    dry = upload(client, as_role, body, source="suoritukset.csv", dry_run="true")
    assert dry["mapping"] == "course_completions"
    assert (dry["recorded"], dry["invalid"]) == (1, 2)
    report = upload(client, as_role, body, source="suoritukset.csv")
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (3, "offering_code"),
        (4, "occurred_at"),
    ]
    (done,) = completions(services, known)
    assert (done.offering_code, done.credits, done.grade) == (code, Decimal("2.5"), "hyväksytty")
    assert done.course == "Digitaalinen liiketoiminta"
    assert completions(services, unknown) == []


def test_an_unknown_offering_code_parameter_is_refused_naming_it(
    client: TestClient, as_role: RoleHeaders
) -> None:
    for value in ("", "x" * 41):
        response = client.post(
            "/imports",
            params={"offering_code": value},
            content=b"a,b\n",
            headers=as_role[Role.ACCOUNT_MANAGER],
        )
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "offering_code"]


def test_the_cli_imports_a_renamed_moodle_report_for_the_course_it_names(
    services: Services,
) -> None:
    code = course(services)
    done = emails("mcli", 1)
    path = services.settings.data_dir / f"{unique('raportti')}.csv"
    path.write_bytes(moodle_completion_report(done, emails("mcw", 1)[0]))
    env = crm_environment(services.settings, run_projections="false")
    result = CliRunner().invoke(cli, ["import", str(path), "--offering-code", code], env=env)
    assert result.exit_code == 0, result.output
    assert "(moodle_course_completion)" in " ".join(result.output.split())
    assert completions(services, done[0])[0].offering_code == code


def test_an_updated_export_after_the_catalogue_entry_was_revised_adds_only_new_learners(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    code = course(services)
    first, later, waiting = emails("ma", 1), emails("mb", 1), emails("mz", 1)[0]
    source = f"completion-{code.lower()}.csv"
    upload(client, as_role, moodle_completion_report(first, waiting), source=source)
    services.catalogue.revise_offering(
        code,
        OfferingTerms(
            "Digiliiketoiminta",
            "Digital business",
            "open_training",
            "TAMK",
            Decimal(400),
            Decimal(4),
        ),
        "test",
    )
    again = upload(client, as_role, moodle_completion_report(first + later, waiting),
                   source=source)  # fmt: skip
    assert (again["recorded"], again["duplicates"]) == (1, 1)
    assert len(completions(services, first[0])) == 1
    (new,) = completions(services, later[0])
    assert (new.course, new.credits) == ("Digiliiketoiminta", Decimal(4))
