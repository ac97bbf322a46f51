"""Importing files as the tools export them, over HTTP and the CLI: recognised by content,
read for what they mean, bad input reported per row, dry runs, and imports beside writers."""

from __future__ import annotations

import io
import threading
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.bootstrap.wiring import Services
from api.cli.main import app as cli
from crm.application.imports import MAPPINGS, Importer, read_rows
from crm.application.users import Role
from tests.factories import RoleHeaders, unique
from tests.import_files import (
    course_workbook,
    fair_list,
    teams_attendance_report,
    zoom_attendee_report,
)
from tests.processes import crm_environment

pytestmark = pytest.mark.postgres


def kinds(services: Services, email: str) -> list[str] | None:
    customer_id = services.crm.find_by_email(email)
    if customer_id is None:
        return None
    return [type(e).__name__ for e in services.crm.get_journey(customer_id)]


def upload(
    client: TestClient, as_role: RoleHeaders, body: bytes, query: str = ""
) -> dict[str, Any]:
    response = client.post(
        f"/imports?source=report{query}", content=body, headers=as_role[Role.ACCOUNT_MANAGER]
    )
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_zoom_attendee_report_uploaded_without_a_mapping_records_what_it_means(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    attendee, rejoiner, absent = (f"{unique(n)}@example.fi" for n in ("zat", "zre", "zab"))
    staff = f"{unique('staff')}@tuni.fi"
    body = zoom_attendee_report(attendee, rejoiner, absent, staff, topic=unique("Webinaari"))
    report = upload(client, as_role, body)
    assert report["mapping"] == "zoom_webinar_attendees"
    assert (report["rows"], report["recorded"], report["invalid"]) == (3, 3, 0)
    assert kinds(services, attendee) == ["Registered", "WebinarAttended"]
    assert kinds(services, rejoiner) == ["Registered", "WebinarAttended"]
    assert kinds(services, absent) == ["Registered", "WebinarRegistered"]
    assert kinds(services, staff) is None


def test_a_teams_report_is_imported_with_the_cli_in_the_accounts_time_zone(
    services: Services,
) -> None:
    attendee, external = f"{unique('tm')}@example.fi", f"{unique('tx')}@example.com"
    path = services.settings.data_dir / f"{unique('teams')}.csv"
    path.write_bytes(teams_attendance_report(attendee, external))
    env = crm_environment(services.settings, run_projections="false")
    dry = CliRunner().invoke(cli, ["import", str(path), "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "2 would record" in " ".join(dry.output.split())
    assert kinds(services, attendee) is None
    result = CliRunner().invoke(
        cli, ["import", str(path), "--timezone", "Europe/Stockholm"], env=env
    )
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "(teams_attendance)" in output
    assert "line 15, email: is missing (a guest without an e-mail)" in output
    customer_id = services.crm.find_by_email(attendee)
    assert customer_id is not None
    attended = list(services.crm.get_journey(customer_id))[-1]
    assert attended.occurred_at.isoformat() == "2025-03-11T08:35:20+01:00"
    assert kinds(services, external) == ["Registered", "WebinarAttended"]


def test_an_excel_workbook_and_a_windows_1252_fair_list_are_imported(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    learner, visitor = f"{unique('xl')}@example.fi", f"{unique('cp')}@example.fi"
    workbook = upload(client, as_role, course_workbook([learner]))
    assert (workbook["mapping"], workbook["recorded"]) == ("course_completions", 1)
    fair = upload(client, as_role, fair_list([visitor], unique("Studia")).encode("cp1252"))
    assert (fair["mapping"], fair["recorded"]) == ("fair_visitors", 1)
    assert kinds(services, learner) == ["Registered", "CourseCompleted"]
    customer_id = services.crm.find_by_email(visitor)
    assert customer_id is not None
    registered = next(iter(services.crm.get_journey(customer_id)))
    assert getattr(registered, "name", None) == "Äijö Öhman"


def test_bad_bytes_a_huge_field_and_a_nul_are_row_errors_not_a_server_error(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    good = f"web_service_visited,{unique('ok')}@example.fi,Ok,2025-03-01,/ok\n"
    lines = ["kind,email,name,occurred_at,page\n", good * 1500]
    body = "".join(lines).encode()
    body += f"web_service_visited,{unique('b')}@example.fi,\xe4iti,2025-03-01,/x\n".encode("cp1252")
    body += (
        f'web_service_visited,{unique("h")}@example.fi,"{"n" * 200_000}",2025-03-01,/x\n'.encode()
    )
    body += f"web_service_visited,{unique('z')}@example.fi,Ma\0ija,2025-03-01,/x\n".encode()
    report = upload(client, as_role, body)
    assert report["status"] == "completed"
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (1502, "row"),
        (1503, "row"),
        (1504, "name"),
    ]
    assert report["errors"][0]["reason"] == "is not valid UTF-8 text"


def test_a_dry_run_decides_every_row_and_stores_nothing(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    emails = [f"{unique('dry')}@example.fi" for _ in range(3)]
    body = fair_list(emails, unique("Dry")).encode() + b"A;B;not-an-email;F;14.3.2025;\n"
    report = upload(client, as_role, body, "&dry_run=true")
    assert (report["status"], report["recorded"], report["customers_created"]) == (
        "dry_run",
        3,
        3,
    )
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(5, "email")]
    assert all(kinds(services, email) is None for email in emails)
    headers = as_role[Role.ACCOUNT_MANAGER]
    assert client.get(f"/imports/{report['import_id']}", headers=headers).status_code == 404
    stored = upload(client, as_role, body)
    assert (stored["status"], stored["recorded"]) == ("completed", 3)


def test_unknown_files_and_time_zones_are_refused_naming_the_field(
    client: TestClient, as_role: RoleHeaders
) -> None:
    headers = as_role[Role.ACCOUNT_MANAGER]
    unknown = client.post("/imports", content=b"foo,bar\n1,2\n", headers=headers)
    assert unknown.status_code == 422 and "mapping" in unknown.text
    zone = client.post("/imports?timezone=Mars/Olympus", content=b"kind,email\n", headers=headers)
    assert zone.status_code == 422 and "timezone" in zone.text


def test_an_import_beside_http_writers_on_the_same_customers_stores_every_row(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    emails = [f"{unique('busy')}@example.fi" for _ in range(4)]
    lines = ["kind,email,name,occurred_at,page"]
    lines += [
        f"web_service_visited,{emails[n % 4]},Busy {n % 4},2025-03-01T10:{n % 60:02d}:00+02:00,"
        f"/import/{n}"
        for n in range(600)
    ]
    body = ("\n".join(lines) + "\n").encode()
    # The customers exist before the import starts, as the writers need them.
    seed = "kind,email,name,occurred_at,page\n" + "".join(
        f"web_service_visited,{e},Busy,2025-01-01,/seed\n" for e in emails
    )
    upload(client, as_role, seed.encode())
    ids = [services.crm.find_by_email(e) for e in emails]
    assert all(ids)
    done = threading.Event()
    written = [0]

    def writer(customer_id: UUID) -> None:
        with TestClient(client.app) as own:
            while not done.is_set():
                response = own.post(
                    f"/customers/{customer_id}/touchpoints",
                    json={"kind": "web_service_visited", "page": "/online"},
                    headers=as_role[Role.ACCOUNT_MANAGER],
                )
                assert response.status_code == 201, response.text
                written[0] += 1

    threads = [threading.Thread(target=writer, args=(i,)) for i in ids for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        assert services.import_log is not None
        report = Importer(services.crm, services.import_log, chunk_rows=10).run(
            read_rows(io.BytesIO(body), "csv"),
            import_id=unique("busy"),
            source="busy.csv",
            mapping=MAPPINGS["native"],
            recorded_by="anna.am",
        )
    finally:
        done.set()
        for thread in threads:
            thread.join()
    assert (report.status, report.recorded, report.invalid) == ("completed", 600, 0)
    assert written[0] > 0
    for email in emails:
        customer_id = services.crm.find_by_email(email)
        assert customer_id is not None
        pages = [getattr(e, "page", None) for e in services.crm.get_journey(customer_id)]
        assert len([p for p in pages if p and p.startswith("/import/")]) == 150
