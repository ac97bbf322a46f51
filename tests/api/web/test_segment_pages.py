"""The segment pages over HTTP: the export card says who an export lists and leaves out, and
the page's default file is CSV as Finnish Excel opens it."""

from __future__ import annotations

import re

from fastapi import FastAPI

from api.bootstrap.wiring import Services
from crm.application.users import Role
from tests.api.web_client import new_user, page_csrf, sign_in
from tests.factories import unique
from tests.segment_data import Cast


def test_the_export_card_counts_who_is_left_out_and_the_default_file_is_excel_csv(
    app: FastAPI, services: Services, cast: Cast
) -> None:
    segment = services.segment_store.create(unique("Excel"), {"sector": cast.sector}, None, "t")
    marketer = sign_in(app, new_user(services, Role.MARKETING))
    page = marketer.get(f"/ui/segments/{segment.segment_id}").text
    row = re.search(r'<tr data-purpose="email_marketing">(.*?)</tr>', page, re.S)
    assert row, page
    # In the segment a, b, c, d, f (e is erased): a listed, b, c, f without consent, d restricted.
    assert re.findall(r"<td>(\d+)</td>", row.group(1)) == ["5", "1", "3", "1", "0"]

    export = marketer.post(
        f"/ui/segments/{segment.segment_id}/export",
        data={"purpose": "email_marketing", "csrf_token": page_csrf(marketer)},
    )
    assert export.status_code == 200, export.text
    assert export.content.startswith("\ufeffcustomer_id;name;email\r\n".encode())
    assert export.headers["X-Left-Out-No-Consent"] == "3"

    bad = marketer.post(
        f"/ui/segments/{segment.segment_id}/export",
        data={"purpose": "email_marketing", "file": "pdf", "csrf_token": page_csrf(marketer)},
    )
    assert bad.status_code == 422
    assert "Tiedosto" in bad.text
    marketer.close()
