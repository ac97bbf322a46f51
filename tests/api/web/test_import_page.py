"""The import page over HTTP: upload, what the file was recognised as, its first rows as they
would be recorded (a dry run that stores nothing), then the import, its report and the row
errors for Excel."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from decimal import Decimal

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from crm.domain.offering import OfferingTerms
from tests.api.web_client import new_user, page_csrf, sign_in
from tests.import_files import moodle_completion_report, zoom_attendee_report


def finished(client: TestClient, report_url: str) -> str:
    """The report page once the import (run in the background) is no longer running; while
    it runs, the page says so and refreshes itself."""
    for _ in range(300):
        page = client.get(report_url).text
        if 'id="import-status">käynnissä' not in page:
            return page
        assert 'http-equiv="refresh"' in page
        time.sleep(0.1)
    raise AssertionError("the import kept running")


def test_an_upload_is_previewed_as_a_dry_run_then_imported_with_a_report_and_error_csv(
    app: FastAPI, services: Services
) -> None:
    tag = uuid.uuid4().hex[:8]
    attendee, rejoiner, absent = (f"{who}-{tag}@example.fi" for who in ("aino", "eero", "outi"))
    report = zoom_attendee_report(attendee, rejoiner, absent, f"staff-{tag}@tuni.fi")
    # A row error too: a guest's line without an e-mail.
    report = report.replace(
        b"\r\n\r\nOther Information",
        b'\r\nYes,Vieras,Vieras,,,,,,,,"02/21/2025 08:00:00 AM",approved,'
        b'"03/04/2025 02:00:00 PM","03/04/2025 02:10:00 PM",10,Yes,Finland'
        b"\r\n\r\nOther Information",
    )
    manager = sign_in(app, new_user(services, Role.ACCOUNT_MANAGER))
    assert 'href="/ui/imports"' in manager.get("/ui/tasks").text  # in the menu
    page = manager.post(
        "/ui/imports",
        data={"csrf_token": page_csrf(manager), "mapping": "", "timezone": "America/New_York"},
        files={"file": ("attendees.csv", report, "text/csv")},
    )
    assert page.status_code == 200, page.text
    assert "zoom_webinar_attendees" in re.search(
        r'id="detected-mapping">(.*?)</dd>', page.text, re.S
    ).group(1)  # type: ignore[union-attr]
    preview = re.search(r'<table class="list" id="import-preview">(.*?)</table>', page.text, re.S)
    assert preview and attendee in preview.group(1) and "843 2219 0712" in preview.group(1)
    # 14:02 in New York is 21:02 in Helsinki.
    assert "21.02" in preview.group(1)
    assert services.crm.find_by_email(attendee) is None  # a dry run stores nothing
    counts = re.search(r'id="import-counts">(.*?)</dl>', page.text, re.S)
    assert counts and "<dd>1</dd>" in counts.group(1)  # the guest's row error
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]

    ran = manager.post(
        "/ui/imports/run",
        data={"csrf_token": page_csrf(manager), "token": token, "mapping": "",
              "timezone": "America/New_York", "source": "Webinaari", "action": "import"},
    )  # fmt: skip
    assert ran.status_code == 303, ran.text
    report_url = ran.headers["location"]
    shown = finished(manager, report_url)
    assert services.crm.find_by_email(attendee) is not None
    assert 'id="import-status">valmis' in shown
    errors = manager.get(report_url + "/errors.csv")
    assert errors.status_code == 200
    assert errors.content.startswith("\ufeffline;field;reason".encode())
    rows = list(csv.reader(io.StringIO(errors.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[1] for row in rows[1:]] == ["email"]

    again = manager.post(
        "/ui/imports/run",
        data={"csrf_token": page_csrf(manager), "token": token, "timezone": "Europe/Helsinki"},
    )
    assert again.status_code == 422 and "ei ole enää tallessa" in again.text
    other = sign_in(app, new_user(services, Role.ACCOUNT_MANAGER))
    assert other.get(report_url).status_code == 200
    assert sign_in(app, new_user(services, Role.MARKETING)).get("/ui/imports").status_code == 403
    manager.close()
    other.close()


def test_an_unrecognised_file_and_a_bad_zone_are_named_on_the_page(
    app: FastAPI, services: Services
) -> None:
    manager = sign_in(app, new_user(services, Role.ACCOUNT_MANAGER))
    page = manager.post(
        "/ui/imports",
        data={"csrf_token": page_csrf(manager), "timezone": "Europe/Helsinki"},
        files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")},
    )
    assert page.status_code == 422 and "Tiedoston muoto" in page.text
    zone = manager.post(
        "/ui/imports",
        data={"csrf_token": page_csrf(manager), "timezone": "Mars/Olympus"},
        files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")},
    )
    assert zone.status_code == 422 and "Aikavyöhyke" in zone.text
    manager.close()


def test_an_unknown_file_is_mapped_by_hand_saved_under_a_name_and_imported(
    app: FastAPI, services: Services
) -> None:
    tag = uuid.uuid4().hex[:8]
    email = f"kalle-{tag}@example.fi"
    unknown = (
        "Osallistuja;Osoite;Päivä;Tapahtuma;Muuta\r\n"
        f"Kalle Kävijä;{email};14.3.2025 10.00;Rekrymessut;ei tuoda\r\n"
    ).encode("cp1252")
    manager = sign_in(app, new_user(services, Role.ACCOUNT_MANAGER))
    page = manager.post(
        "/ui/imports",
        data={"csrf_token": page_csrf(manager), "timezone": "Europe/Helsinki"},
        files={"file": ("tuntematon.csv", unknown, "text/csv")},
    )
    assert page.status_code == 422 and 'id="column-mapping" open' in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    columns = re.findall(r'name="column_(\d+)" value="([^"]+)"', page.text)
    assert [c for _, c in columns] == ["Osallistuja", "Osoite", "Päivä", "Tapahtuma", "Muuta"]
    choice = {"Osallistuja": "name", "Osoite": "email", "Päivä": "occurred_at",
              "Tapahtuma": "fair_name"}  # fmt: skip
    form = {
        "csrf_token": page_csrf(manager),
        "token": token,
        "timezone": "Europe/Helsinki",
        "action": "map",
        "mapping_kind": "fair_visited",
        "mapping_name": f"Messut {tag}",
    }
    for index, column in columns:
        form[f"column_{index}"] = column
        form[f"field_{index}"] = choice.get(column, "")
    without_email = manager.post("/ui/imports/run", data={**form, "field_1": ""})
    assert without_email.status_code == 422 and "sähköposti" in without_email.text
    mapped = manager.post("/ui/imports/run", data=form)
    assert mapped.status_code == 200, mapped.text
    assert f"saved:Messut {tag}" in mapped.text
    preview = re.search(r'id="import-preview">(.*?)</table>', mapped.text, re.S)
    assert preview and "Kalle Kävijä" in preview.group(1) and "Rekrymessut" in preview.group(1)
    assert "ei tuoda" not in preview.group(1)

    ran = manager.post(
        "/ui/imports/run",
        data={"csrf_token": page_csrf(manager), "token": token, "action": "import",
              "mapping": f"saved:Messut {tag}", "timezone": "Europe/Helsinki"},
    )  # fmt: skip
    assert ran.status_code == 303, ran.text
    finished(manager, ran.headers["location"])
    assert services.crm.find_by_email(email) is not None
    # The next such file finds the mapping in the list.
    assert f'value="saved:Messut {tag}"' in manager.get("/ui/imports").text
    manager.close()


def test_a_moodle_report_is_imported_for_the_course_its_file_or_the_form_names(
    app: FastAPI, services: Services
) -> None:
    code = f"MOO-{uuid.uuid4().hex[:6].upper()}"
    terms = OfferingTerms(
        "Datatalous", "Data economy", "open_training", "TTY", Decimal(1), Decimal(2)
    )
    services.catalogue.add_offering(code, terms, "test")
    manager = sign_in(app, new_user(services, Role.ACCOUNT_MANAGER))
    for file_name, typed in ((f"completion-{code.lower()}.csv", ""), ("raportti.csv", code)):
        learner = f"moodle-{uuid.uuid4().hex[:8]}@example.fi"
        body = moodle_completion_report([learner], f"kesken-{uuid.uuid4().hex[:8]}@example.fi")
        page = manager.post(
            "/ui/imports",
            data={"csrf_token": page_csrf(manager), "mapping": "", "offering_code": typed},
            files={"file": (file_name, body, "text/csv")},
        )
        assert page.status_code == 200, page.text
        assert "moodle_course_completion" in page.text
        assert 'name="offering_code" value="' + typed + '"' in page.text
        token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        ran = manager.post(
            "/ui/imports/run",
            data={"csrf_token": page_csrf(manager), "token": token, "mapping": "",
                  "timezone": "Europe/Helsinki", "source": file_name, "offering_code": typed,
                  "action": "import"},
        )  # fmt: skip
        assert ran.status_code == 303, ran.text
        shown = finished(manager, ran.headers["location"])
        customer = services.crm.find_by_email(learner)
        assert customer is not None, shown
        kinds = [type(e).__name__ for e in services.crm.get_journey(customer)]
        assert kinds == ["Registered", "CourseCompleted"]
    manager.close()
