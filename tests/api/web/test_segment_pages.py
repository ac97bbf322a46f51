"""The segment pages over HTTP: the export card says who an export lists and leaves out, and
the page's default file is CSV as Finnish Excel opens it."""

from __future__ import annotations

import json
import re

from fastapi import FastAPI

from api.bootstrap.wiring import Services
from crm.adapters.postgres.access_log import AccessFilter
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


def test_the_preview_names_members_and_explain_picks_a_customer_by_name(
    app: FastAPI, services: Services, cast: Cast
) -> None:
    marketer_name = new_user(services, Role.MARKETING)
    marketer = sign_in(app, marketer_name)
    rule = json.dumps({"sector": cast.sector})

    def builder(**fields: str) -> str:
        form = {"csrf_token": page_csrf(marketer), "rule": rule, "name": "", **fields}
        response = marketer.post("/ui/segments/builder", data=form)
        assert response.status_code in (200, 422), response.text
        return response.text

    preview = builder(action="preview")
    table = re.search(r'<table class="list" id="preview">(.*?)</table>', preview, re.S)
    assert table and f"A {cast.sector}" in table.group(1)  # names, not truncated ids
    assert f"D {cast.sector}" not in table.group(1)  # restricted: never a member

    several = builder(action="explain", customer=cast.sector)
    choices = re.search(r'<fieldset id="explain-choices">(.*?)</fieldset>', several, re.S)
    assert choices and f"B {cast.sector}" in choices.group(1)

    one = builder(action="explain", customer=f"B {cast.sector}")
    assert f"Selitys: B {cast.sector}" in one
    picked = builder(pick=str(cast.ids["b"]))
    assert f"Selitys: B {cast.sector}" in picked
    nobody = builder(action="explain", customer="no such customer at all")
    assert "Asiakas" in nobody and 'role="alert"' in nobody

    page = services.access_log.page(
        AccessFilter(customer_ids=[cast.ids["b"]], user_name=marketer_name), limit=100
    )
    assert {a.endpoint for a in page.accesses} == {"POST /ui/segments/builder"}
    marketer.close()
