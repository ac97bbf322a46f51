"""Bulk import over HTTP: validation report, e-mail matching, re-runs, resume, size limits."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from api.http.app import create_app
from crm.adapters.postgres.import_log import PostgresImportLog
from crm.application.import_formats.mappings import saved_mapping
from crm.application.imports import (
    MAPPINGS,
    Importer,
    ImportFailedError,
    ImportReport,
    read_rows,
)
from crm.application.users import Role
from tests.factories import unique

pytestmark = pytest.mark.postgres
CSV = {"Content-Type": "text/csv"}


def fair_csv(emails: list[str], fair: str, extra: str = "") -> bytes:
    lines = ["Etunimi;Sukunimi;Sähköposti;Messut;Käyntiaika;Lisätiedot"]
    for number, email in enumerate(emails):
        lines.append(
            f"Maija;Meikäläinen;{email};{fair};14.3.2025 10:{number % 60:02d};Kiinnostunut"
        )
    return ("\n".join(lines) + "\n" + extra).encode()


def journey_kinds(services: Services, email: str) -> list[str]:
    customer_id = services.crm.find_by_email(email)
    assert customer_id is not None
    return [type(e).__name__ for e in services.crm.get_journey(customer_id)]


def test_a_fair_visitor_list_is_imported_and_invalid_rows_are_reported(
    client: TestClient, as_role: dict[Role, dict[str, str]], services: Services
) -> None:
    known = f"{unique('known')}@example.fi"
    registered = client.post(
        "/customers",
        json={"kind": "person", "customer_type": "individual", "name": "Known", "email": known},
        headers=as_role[Role.ACCOUNT_MANAGER],
    )
    assert registered.status_code == 201
    new = f"{unique('new')}@example.fi"
    fair = unique("Studia")
    body = fair_csv([known, new], fair, extra=f"Ville;V;not-an-email;{fair};14.3.2025\n")
    body += f"Ville;V;{unique('x')}@example.fi;{fair};yesterday\n".encode()
    response = client.post(
        "/imports?mapping=fair_visitors&source=studia.csv",
        content=body,
        headers={**as_role[Role.ACCOUNT_MANAGER], **CSV},
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["rows"] == 4
    assert report["recorded"] == 2 and report["customers_created"] == 1
    assert report["invalid"] == 2
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (4, "email"),
        (5, "occurred_at"),
    ]
    assert journey_kinds(services, known) == ["Registered", "FairVisited"]
    assert journey_kinds(services, new) == ["Registered", "FairVisited"]
    again = client.get(f"/imports/{report['import_id']}", headers=as_role[Role.ACCOUNT_MANAGER])
    assert again.json()["errors"] == report["errors"]


def test_running_the_same_file_or_an_updated_export_again_adds_nothing_twice(
    client: TestClient, as_role: dict[Role, dict[str, str]], services: Services
) -> None:
    emails = [f"{unique('rerun')}@example.fi" for _ in range(3)]
    fair = unique("Fair")
    headers = {**as_role[Role.ACCOUNT_MANAGER], **CSV}
    first = client.post(
        "/imports?mapping=fair_visitors", content=fair_csv(emails, fair), headers=headers
    )
    assert first.status_code == 201 and first.json()["recorded"] == 3
    same = client.post(
        "/imports?mapping=fair_visitors", content=fair_csv(emails, fair), headers=headers
    )
    assert same.status_code == 200 and same.json()["import_id"] == first.json()["import_id"]
    more = [*emails, f"{unique('rerun')}@example.fi"]
    updated = client.post(
        "/imports?mapping=fair_visitors", content=fair_csv(more, fair), headers=headers
    )
    assert updated.status_code == 201
    assert (updated.json()["recorded"], updated.json()["duplicates"]) == (1, 3)
    for email in more:
        assert journey_kinds(services, email) == ["Registered", "FairVisited"]


def test_ndjson_with_our_own_field_names_is_imported(
    client: TestClient, as_role: dict[Role, dict[str, str]], services: Services
) -> None:
    email = f"{unique('nd')}@example.fi"
    rows = [
        {
            "kind": "webinar_attended",
            "email": email,
            "name": "N D",
            "occurred_at": "2025-02-01T10:00:00+02:00",
            "webinar_id": "w9",
            "title": "AI",
        },
        {
            "kind": "course_completed",
            "email": email,
            "occurred_at": "2025-03-01",
            "course": "AI basics",
            "credits": "5,0",
        },
        {
            "kind": "purchase_refunded",
            "email": email,
            "occurred_at": "2025-03-02",
            "purchase_id": "P404",
            "amount": "10",
            "reason": "x",
        },
        ["not", "an", "object"],
    ]
    body = "\n".join(json.dumps(r) for r in rows).encode()
    response = client.post(
        "/imports",
        content=body,
        headers={**as_role[Role.ACCOUNT_MANAGER], "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["recorded"], report["invalid"]) == (2, 2)
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(3, "kind"), (4, "row")]
    assert journey_kinds(services, email) == ["Registered", "WebinarAttended", "CourseCompleted"]


class Crash(Exception):
    pass


def test_an_import_that_crashed_resumes_and_stores_every_row_once(
    client: TestClient, as_role: dict[Role, dict[str, str]], services: Services
) -> None:
    emails = [f"{unique('resume')}@example.fi" for _ in range(25)]
    body = fair_csv(emails, unique("Resume"))
    import_id = hashlib.sha256(b"fair_visitors\n" + body).hexdigest()[:32]
    log = PostgresImportLog(services.pool)

    def crash_after_first_chunk(report: ImportReport) -> None:
        raise Crash

    with pytest.raises(ImportFailedError) as failed:
        Importer(services.crm, log, chunk_rows=10).run(
            read_rows(io.BytesIO(body), "csv"),
            import_id=import_id,
            source="resume.csv",
            mapping=MAPPINGS["fair_visitors"],
            recorded_by="anna.am",
            progress=crash_after_first_chunk,
        )
    assert isinstance(failed.value.__cause__, Crash)
    stopped = log.get(import_id)
    assert stopped is not None and (stopped.status, stopped.last_line) == ("failed", 11)
    assert [(e.line, e.field) for e in stopped.errors] == [(12, "file")]
    response = client.post(
        "/imports?mapping=fair_visitors",
        content=body,
        headers={**as_role[Role.ACCOUNT_MANAGER], **CSV},
    )
    assert response.status_code == 201
    report = response.json()
    assert report["import_id"] == import_id
    assert (report["rows"], report["recorded"], report["status"]) == (25, 25, "completed")
    assert report["errors"] == []
    for email in emails:
        assert journey_kinds(services, email) == ["Registered", "FairVisited"]


def test_oversized_uploads_and_bodies_are_refused_with_413(
    services: Services, as_role: dict[Role, dict[str, str]]
) -> None:
    small = dataclasses.replace(
        services,
        settings=services.settings.model_copy(
            update={"max_upload_bytes": 2000, "max_request_bytes": 500}
        ),
    )
    with TestClient(create_app(services=small)) as client:
        headers = {**as_role[Role.ACCOUNT_MANAGER], **CSV}
        big = fair_csv([f"{unique('big')}@example.fi" for _ in range(100)], "Big")
        assert client.post("/imports", content=big, headers=headers).status_code == 413

        def streamed() -> Iterator[bytes]:
            yield big

        assert client.post("/imports", content=streamed(), headers=headers).status_code == 413
        body = {"kind": "person", "customer_type": "individual", "name": "x" * 600}
        refused = client.post("/customers", json=body, headers=as_role[Role.ACCOUNT_MANAGER])
        assert refused.status_code == 413


def test_a_mapping_saved_under_a_name_reads_a_file_no_format_recognises(
    client: TestClient, as_role: dict[Role, dict[str, str]], services: Services
) -> None:
    name = unique("Rekry")
    services.import_mappings.save(
        saved_mapping(name, "fair_visited", {"Osoite": "email", "Päivä": "occurred_at",
                                             "Tapahtuma": "fair_name"}, {}),
        "test",
    )  # fmt: skip
    email = f"{unique('map')}@example.fi"
    body = f"Osoite,Päivä,Tapahtuma,Salainen\n{email},14.3.2025,Rekry,x\n".encode()
    headers = {**as_role[Role.ACCOUNT_MANAGER], **CSV}
    assert client.post("/imports", content=body, headers=headers).status_code == 422
    response = client.post("/imports", params={"saved_mapping": name}, content=body,
                           headers=headers)  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["mapping"] == f"saved:{name}" and response.json()["recorded"] == 1
    assert journey_kinds(services, email) == ["Registered", "FairVisited"]
    unknown = client.post("/imports", params={"saved_mapping": unique("none")}, content=body,
                          headers=headers)  # fmt: skip
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["query", "saved_mapping"]
