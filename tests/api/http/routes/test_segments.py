"""Segments over HTTP: every operator, every validation error, explain, export and its record."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from api.services.spreadsheet import XLSX_MEDIA_TYPE
from crm.application.users import Role
from tests.factories import RoleHeaders
from tests.segment_data import NOW, Cast, Workplaces, at

AS_OF = {"as_of": NOW.isoformat()}


def members(client: TestClient, as_role: RoleHeaders, cast: Cast, condition: Any) -> set[str]:
    """The letters of the cast the rule `all: [sector, condition]` selects at NOW."""
    rule = {"all": [{"sector": cast.sector}, condition]}
    response = client.post(
        "/segments/preview",
        params=AS_OF,
        json={"rule": rule, "limit": 200},
        headers=as_role[Role.MARKETING],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    found = cast.letters({uuid.UUID(m["customer_id"]) for m in body["members"]})
    assert body["count"] == len(found)
    return found


OPERATORS: list[tuple[str, Any, set[str]]] = [
    ("sector, case-insensitive", {"sector": "placeholder"}, {"a", "b", "c", "f"}),
    ("consent now", {"consent": "email_marketing"}, {"a"}),
    ("consent for another purpose", {"consent": "newsletter"}, {"c"}),
    ("webinars at least 2", {"webinars_attended": {"at_least": 2, "days": 365}}, {"a"}),
    ("webinars at least 1", {"webinars_attended": {"at_least": 1, "days": 365}}, {"a", "b"}),
    ("webinars outside the window", {"webinars_attended": {"at_least": 1, "days": 10}}, set()),
    (
        "touchpoints of a kind",
        {"touchpoints": {"kind": "feedback_given", "at_least": 1, "days": 365}},
        {"c"},
    ),
    ("purchased within", {"purchased_within_days": 365}, {"b"}),
    ("purchased long ago only", {"purchased_within_days": 30}, set()),
    ("not", {"not": {"purchased_within_days": 365}}, {"a", "c", "f"}),
    ("institution", {"institution": "TTY"}, {"b"}),
    ("lifecycle stage", {"lifecycle_stage": "customer"}, {"b"}),
    ("prospects", {"lifecycle_stage": "prospect"}, {"a", "c", "f"}),
    (
        "any",
        {"any": [{"institution": "TTY"}, {"field": "kind", "op": "=", "value": "person"}]},
        {"b", "c"},
    ),
    (
        "all",
        {
            "all": [
                {"consent": "email_marketing"},
                {"webinars_attended": {"at_least": 2, "days": 60}},
            ]
        },
        {"a"},
    ),
    ("=", {"field": "revenue", "op": "=", "value": 1000}, {"b"}),
    ("!=", {"field": "revenue", "op": "!=", "value": 1000}, {"a", "c", "f"}),
    ("<", {"field": "revenue", "op": "<", "value": 1000}, {"a", "c", "f"}),
    ("<=", {"field": "revenue", "op": "<=", "value": 1000.0}, {"a", "b", "c", "f"}),
    (">", {"field": "revenue", "op": ">", "value": 999.5}, {"b"}),
    (">=", {"field": "purchase_count", "op": ">=", "value": 1}, {"b"}),
    ("in", {"field": "institution", "op": "in", "value": ["TTY", "TaY"]}, {"b", "c"}),
    ("not_in", {"field": "institution", "op": "not_in", "value": ["TTY", "TaY"]}, {"a", "f"}),
    ("in with numbers", {"field": "webinars_attended", "op": "in", "value": [1, 2]}, {"a", "b"}),
    (
        "a missing value never compares",
        {"field": "average_order_value", "op": "<", "value": 1e9},
        {"b"},
    ),
    (
        "negated missing value",
        {"not": {"field": "average_order_value", "op": ">", "value": 0}},
        {"a", "c", "f"},
    ),
    (
        "date-time field",
        {"field": "last_purchase", "op": ">=", "value": "2025-05-01T00:00:00+03:00"},
        {"b"},
    ),
    ("text field", {"field": "customer_type", "op": "=", "value": "individual"}, {"c"}),
    ("nps class", {"field": "nps_class", "op": "=", "value": "promoter"}, {"c"}),
    ("feedback average", {"field": "feedback_average", "op": ">=", "value": 9}, {"c"}),
    ("webinar utilisation", {"field": "webinar_utilisation", "op": ">", "value": 0}, set()),
    (
        "engagement above zero",
        {"field": "engagement_score", "op": ">", "value": 0},
        {"a", "b", "c", "f"},
    ),
    ("engagement far above", {"field": "engagement_score", "op": ">", "value": 1e6}, set()),
    ("rfm score", {"field": "monetary_score", "op": ">=", "value": 1}, {"b"}),
    ("tenure", {"field": "tenure_days", "op": ">=", "value": 200}, {"a", "b", "c", "f"}),
    (
        "last activity",
        {"field": "last_activity", "op": ">", "value": "2025-06-01T00:00:00Z"},
        {"a"},
    ),
]


@pytest.mark.parametrize(
    ("name", "condition", "expected"), OPERATORS, ids=[o[0] for o in OPERATORS]
)
def test_each_operator_selects_exactly_the_customers_it_describes(
    client: TestClient,
    as_role: RoleHeaders,
    cast: Cast,
    name: str,
    condition: Any,
    expected: set[str],
) -> None:
    if "sector" in condition:
        condition = {"sector": cast.sector.upper()}
    assert members(client, as_role, cast, condition) == expected


def test_restricted_and_erased_customers_are_never_members(
    client: TestClient, as_role: RoleHeaders, cast: Cast
) -> None:
    everyone = members(client, as_role, cast, {"not": {"sector": "no such sector"}})
    assert "d" not in everyone and "e" not in everyone


VALIDATION_ERRORS: list[tuple[str, Any, list[Any], str]] = [
    ("not an object", 5, [], "unknown_condition"),
    ("no known key", {"every": []}, [], "unknown_condition"),
    (
        "unknown key beside a known one",
        {"sector": "ICT", "colour": "red"},
        ["colour"],
        "extra_forbidden",
    ),
    ("empty all", {"all": []}, ["all"], "too_short"),
    ("empty any", {"any": []}, ["any"], "too_short"),
    ("all not a list", {"all": {"sector": "ICT"}}, ["all"], "list_type"),
    ("bad child", {"all": [{"sector": "ICT"}, {"nope": 1}]}, ["all", 1], "unknown_condition"),
    (
        "bad grandchild under not",
        {"not": {"not": {"consent": "spam"}}},
        ["not", "not", "consent"],
        "literal_error",
    ),
    ("unknown field", {"field": "shoe_size", "op": "=", "value": 1}, ["field"], "literal_error"),
    ("unknown op", {"field": "revenue", "op": "~", "value": 1}, ["op"], "literal_error"),
    ("ordering on text", {"field": "sector", "op": "<", "value": "ICT"}, ["op"], "value_error"),
    (
        "text for a number",
        {"field": "revenue", "op": ">", "value": "lots"},
        ["value"],
        "value_error",
    ),
    (
        "boolean for a number",
        {"field": "revenue", "op": ">", "value": True},
        ["value"],
        "value_error",
    ),
    (
        "fraction for a count",
        {"field": "purchase_count", "op": ">", "value": 1.5},
        ["value"],
        "value_error",
    ),
    (
        "date without zone",
        {"field": "first_seen", "op": ">", "value": "2025-01-01T00:00:00"},
        ["value"],
        "value_error",
    ),
    (
        "not a date",
        {"field": "first_seen", "op": ">", "value": "yesterday"},
        ["value"],
        "value_error",
    ),
    (
        "value outside the vocabulary",
        {"field": "kind", "op": "=", "value": "robot"},
        ["value"],
        "value_error",
    ),
    (
        "list for a single op",
        {"field": "revenue", "op": "=", "value": [1]},
        ["value"],
        "value_error",
    ),
    ("empty list for in", {"field": "revenue", "op": "in", "value": []}, ["value"], "value_error"),
    ("missing value", {"field": "revenue", "op": "="}, ["value"], "missing"),
    ("unknown purpose", {"consent": "spam"}, ["consent"], "literal_error"),
    (
        "zero webinars",
        {"webinars_attended": {"at_least": 0, "days": 365}},
        ["webinars_attended", "at_least"],
        "greater_than_equal",
    ),
    ("no days", {"webinars_attended": {"at_least": 1}}, ["webinars_attended", "days"], "missing"),
    (
        "too many days",
        {"webinars_attended": {"at_least": 1, "days": 10**6}},
        ["webinars_attended", "days"],
        "less_than_equal",
    ),
    ("days as text", {"purchased_within_days": "365"}, ["purchased_within_days"], "int_type"),
    (
        "unknown touchpoint kind",
        {"touchpoints": {"kind": "telepathy", "at_least": 1, "days": 5}},
        ["touchpoints", "kind"],
        "literal_error",
    ),
    ("empty sector", {"sector": ""}, ["sector"], "string_too_short"),
    ("unknown institution", {"institution": "MIT"}, ["institution"], "literal_error"),
    ("unknown stage", {"lifecycle_stage": "zombie"}, ["lifecycle_stage"], "literal_error"),
    ("too many conditions", {"any": [{"any": [{"sector": "x"}] * 60}] * 4}, [], "too_big"),
    ("too long a list", {"any": [{"sector": "x"}] * 101}, ["any"], "too_long"),
    (
        "too deep",
        {
            "not": {
                "not": {
                    "not": {
                        "not": {
                            "not": {
                                "not": {
                                    "not": {
                                        "not": {"not": {"not": {"not": {"not": {"sector": "x"}}}}}
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
        [],
        "too_deep",
    ),
]


@pytest.mark.parametrize(
    ("name", "rule", "path", "error_type"), VALIDATION_ERRORS, ids=[v[0] for v in VALIDATION_ERRORS]
)
def test_each_invalid_rule_is_refused_with_its_path(
    client: TestClient, as_role: RoleHeaders, name: str, rule: Any, path: list[Any], error_type: str
) -> None:
    for method, url, body in (
        ("POST", "/segments/preview", {"rule": rule}),
        ("POST", "/segments", {"name": f"bad-{uuid.uuid4().hex[:6]}", "rule": rule}),
        ("POST", "/segments/explain", {"rule": rule, "customer_id": str(uuid.uuid4())}),
    ):
        response = client.request(method, url, json=body, headers=as_role[Role.MARKETING])
        assert response.status_code == 422, (url, response.text)
        errors = response.json()["detail"]
        assert {"loc": ["body", "rule", *path], "type": error_type} in [
            {"loc": e["loc"], "type": e["type"]} for e in errors
        ], errors
        assert all(e["msg"] for e in errors)


def test_explain_shows_which_conditions_held(
    client: TestClient, as_role: RoleHeaders, cast: Cast
) -> None:
    rule = {
        "all": [
            {"sector": cast.sector},
            {"consent": "email_marketing"},
            {"not": {"webinars_attended": {"at_least": 1, "days": 365}}},
        ]
    }
    response = client.post(
        "/segments/explain",
        params=AS_OF,
        json={"rule": rule, "customer_id": str(cast.ids["a"])},
        headers=as_role[Role.MARKETING],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["member"] is False
    assert [(c["path"], c["held"]) for c in body["conditions"]] == [
        ("rule", False),
        ("all.0", True),
        ("all.1", True),
        ("all.2", False),
        ("all.2.not", True),
    ]
    assert body["conditions"][1]["condition"] == {"sector": cast.sector}


def test_explain_names_restriction_and_erasure(
    client: TestClient, as_role: RoleHeaders, cast: Cast
) -> None:
    for letter, flag in (("d", "restricted"), ("e", "erased")):
        body = client.post(
            "/segments/explain",
            params=AS_OF,
            json={"rule": {"sector": cast.sector}, "customer_id": str(cast.ids[letter])},
            headers=as_role[Role.MARKETING],
        ).json()
        assert body[flag] is True and body["member"] is False


def test_explain_for_an_unknown_customer_is_404(client: TestClient, as_role: RoleHeaders) -> None:
    response = client.post(
        "/segments/explain",
        json={"rule": {"sector": "x"}, "customer_id": str(uuid.uuid4())},
        headers=as_role[Role.MARKETING],
    )
    assert response.status_code == 404


def create(client: TestClient, as_role: RoleHeaders, name: str, rule: Any) -> dict[str, Any]:
    response = client.post(
        "/segments", json={"name": name, "rule": rule}, headers=as_role[Role.MARKETING]
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_segment_keeps_every_version_and_refuses_stale_changes_and_taken_names(
    client: TestClient, as_role: RoleHeaders, cast: Cast
) -> None:
    marketing = as_role[Role.MARKETING]
    name = f"ICT {uuid.uuid4().hex[:6]}"
    first = create(client, as_role, name, {"sector": cast.sector})
    assert first["version"] == 1
    url = f"/segments/{first['segment_id']}"
    changed = client.put(
        url,
        json={"rule": {"institution": "TTY"}, "expected_version": 1},
        headers=marketing,
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = client.put(
        url, json={"rule": {"sector": "x"}, "expected_version": 1}, headers=marketing
    )
    assert stale.status_code == 409
    assert client.get(url, params={"version": 1}, headers=marketing).json()["rule"] == {
        "sector": cast.sector
    }
    assert client.get(url, headers=marketing).json()["rule"] == {"institution": "TTY"}
    taken = client.post(
        "/segments", json={"name": name, "rule": {"sector": "x"}}, headers=marketing
    )
    assert taken.status_code == 409
    assert client.get(f"/segments/{uuid.uuid4()}", headers=marketing).status_code == 404
    assert client.get(url, params={"version": 9}, headers=marketing).status_code == 404
    assert name in [s["name"] for s in client.get("/segments", headers=marketing).json()]


def test_export_lists_only_consenting_members_with_name_and_email_and_is_recorded(
    client: TestClient, as_role: RoleHeaders, cast: Cast
) -> None:
    segment = create(client, as_role, f"Export {uuid.uuid4().hex[:6]}", {"sector": cast.sector})
    response = client.post(
        f"/segments/{segment['segment_id']}/exports",
        json={"purpose": "email_marketing"},
        headers=as_role[Role.MARKETING],
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    # b and c have no e-mail consent, f withdrew it, d is restricted and e erased.
    assert [row["customer_id"] for row in rows] == [str(cast.ids["a"])]
    assert set(rows[0]) == {"customer_id", "name", "email"}
    assert rows[0]["email"].startswith("a-")
    exports = client.get("/segment-exports", headers=as_role[Role.DPO]).json()
    mine = [e for e in exports if e["segment_id"] == segment["segment_id"]]
    assert len(mine) == 1
    assert mine[0]["row_count"] == 1
    assert mine[0]["version"] == 1
    assert mine[0]["purpose"] == "email_marketing"
    assert mine[0]["exported_role"] == "marketing"
    assert mine[0]["export_id"] == response.headers["X-Export-Id"]
    log = client.get(
        "/privacy/access-log",
        params={"customer_id": str(cast.ids["a"])},
        headers=as_role[Role.DPO],
    ).json()["accesses"]
    assert any(mine[0]["export_id"] in (entry.get("reason") or "") for entry in log), log
    own = client.get(
        f"/segments/{segment['segment_id']}/exports", headers=as_role[Role.MARKETING]
    ).json()
    assert [e["export_id"] for e in own] == [mine[0]["export_id"]]


def test_export_says_who_it_left_out_and_why_and_comes_as_excel_opens_it(
    client: TestClient, as_role: RoleHeaders, cast: Cast
) -> None:
    segment = create(client, as_role, f"Excel {uuid.uuid4().hex[:6]}", {"sector": cast.sector})
    url = f"/segments/{segment['segment_id']}/exports"

    def export(**body: Any) -> Any:
        response = client.post(
            url, json={"purpose": "email_marketing", **body}, headers=as_role[Role.MARKETING]
        )
        assert response.status_code == 200, response.text
        return response

    excel = export(delimiter=";", byte_order_mark=True)
    # a is listed; d is restricted; b, c and f hold no e-mail consent; e is erased (no member).
    assert {
        name: excel.headers[name]
        for name in (
            "X-Row-Count",
            "X-Selected-Count",
            "X-Left-Out-Restricted",
            "X-Left-Out-No-Consent",
            "X-Left-Out-No-Email",
        )
    } == {
        "X-Row-Count": "1",
        "X-Selected-Count": "5",
        "X-Left-Out-Restricted": "1",
        "X-Left-Out-No-Consent": "3",
        "X-Left-Out-No-Email": "0",
    }
    assert excel.content.startswith(b"\xef\xbb\xbfcustomer_id;name;email\r\n")
    assert excel.content.decode("utf-8-sig").splitlines()[1].startswith(f"{cast.ids['a']};")

    audience = export(layout="audience")
    [row] = list(csv.DictReader(io.StringIO(audience.text)))
    assert list(row) == ["email", "name", "consent_purpose", "consent_given_at", "customer_id"]
    assert row["consent_purpose"] == "email_marketing"
    assert datetime.fromisoformat(row["consent_given_at"]) == at(10).occurred_at

    workbook = export(format="xlsx", layout="audience")
    assert workbook.headers["content-type"] == XLSX_MEDIA_TYPE
    assert workbook.headers["content-disposition"].endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(workbook.content), read_only=True)
    assert book.sheetnames == ["audience", "summary"]
    sheet = [list(r) for r in book["audience"].iter_rows(values_only=True)]
    assert sheet[0][0] == "email" and sheet[1][4] == str(cast.ids["a"])
    assert isinstance(sheet[1][3], datetime)
    summary = {row[0]: row[1] for row in book["summary"].iter_rows(values_only=True)}
    assert summary["left_out_no_consent"] == 3 and summary["left_out_restricted"] == 1
    assert summary["exported"] == 1 and summary["selected"] == 5

    bad = client.post(
        url,
        json={"purpose": "newsletter", "format": "pdf", "delimiter": "|"},
        headers=as_role[Role.MARKETING],
    )
    assert bad.status_code == 422
    assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {
        ("body", "format"),
        ("body", "delimiter"),
    }


def test_export_needs_a_known_purpose_and_segment(client: TestClient, as_role: RoleHeaders) -> None:
    marketing = as_role[Role.MARKETING]
    segment = create(client, as_role, f"Purpose {uuid.uuid4().hex[:6]}", {"sector": "x"})
    bad = client.post(
        f"/segments/{segment['segment_id']}/exports", json={"purpose": "spam"}, headers=marketing
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "purpose"]
    missing = client.post(
        f"/segments/{uuid.uuid4()}/exports", json={"purpose": "newsletter"}, headers=marketing
    )
    assert missing.status_code == 404


def test_stored_segment_preview_counts_its_latest_version(
    client: TestClient, as_role: RoleHeaders, cast: Cast
) -> None:
    segment = create(client, as_role, f"Preview {uuid.uuid4().hex[:6]}", {"sector": cast.sector})
    body = client.get(
        f"/segments/{segment['segment_id']}/preview",
        params=AS_OF,
        headers=as_role[Role.MARKETING],
    ).json()
    assert body["count"] == 4
    assert "name" not in body["members"][0] and "email" not in body["members"][0]


def test_a_person_is_selected_by_the_organisation_they_work_for(
    client: TestClient, as_role: RoleHeaders, workplaces: Workplaces
) -> None:
    def selected(condition: Any) -> set[str]:
        rule = {"all": [{"sector": workplaces.sector}, condition]}
        response = client.post(
            "/segments/preview",
            json={"rule": rule, "limit": 50},
            headers=as_role[Role.MARKETING],
            params={"after": workplaces.position},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        found = workplaces.letters({uuid.UUID(m["customer_id"]) for m in body["members"]})
        assert body["count"] == len(found)
        return found

    public = {"field": "customer_type", "op": "=", "value": "public_organisation"}
    assert selected({"organisation": public}) == {"p1"}  # p3's affiliation ended
    assert selected({"not": {"organisation": public}}) == {"p2", "p3", "p4"}
    assert selected({"organisation": {"lifecycle_stage": "partner"}}) == {"p2"}
    paid = {"field": "partner_tier", "op": "=", "value": "paid"}
    assert selected({"organisation": paid}) == {"p2"}
    assert selected({"organisation": {**paid, "value": "free"}}) == set()
    assert selected({"organisation": {"sector": workplaces.organisation_sector}}) == {"p1"}
    assert selected(
        {"organisation": {"any": [public, {"field": "recency_score", "op": ">=", "value": 1}]}}
    ) == {"p1", "p2"}

    explained = client.post(
        "/segments/explain",
        json={"rule": {"all": [{"sector": workplaces.sector}, {"organisation": public}]},
              "customer_id": str(workplaces.ids["p1"])},
        headers=as_role[Role.MARKETING],
    ).json()  # fmt: skip
    assert explained["member"] is True
    assert [c["path"] for c in explained["conditions"]] == ["rule", "all.0", "all.1"]

    bad = client.post(
        "/segments/preview",
        json={"rule": {"organisation": {"field": "customer_type", "op": ">", "value": "x"}}},
        headers=as_role[Role.MARKETING],
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "rule", "organisation", "op"]
