"""The lead pipeline as an account manager: a lead captured on the customer page with an id
the system chose, moved on by buttons, converted into a picked purchase, counts per stage,
and the API's view of the same pipeline."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.api.web_client import PASSWORD, csrf_of, new_user, sign_in
from tests.factories import provenance, unique


def settle(services: Services) -> None:
    wait_until_caught_up(services.projector, services.views.refresh())


def card(html: str, lead_id: str) -> str:
    start = html.index(f'data-lead="{lead_id}"')
    return html[start : html.index("</li>", start)]


def counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-stage="(\w+)">[^<]*<span class="count">([^<]+)</span>', html))


def test_a_lead_is_captured_with_a_system_id_and_moved_to_a_purchase_by_buttons(
    app: FastAPI, services: Services
) -> None:
    manager = unique("pipeline.am")
    token = services.users.add(manager, Role.ACCOUNT_MANAGER, PASSWORD)
    customer_id = services.crm.register_customer(
        provenance(datetime.now(UTC) - timedelta(days=30)),
        customer_kind="person",
        customer_type="individual",
        name=unique("Liidi Henkilö"),
        email=f"{unique('l')}@example.fi",
        account_manager=manager,
    ).customer_id
    purchase_id = unique("P")
    services.crm.record_touchpoint(
        customer_id,
        provenance(datetime.now(UTC) - timedelta(days=1)),
        "purchase_made",
        {
            "notes": None,
            "purchase_id": purchase_id,
            "offering": "Johtamiskoulutus",
            "offering_type": "company_training",
            "amount": Decimal("1800"),
            "invoice_reference": None,
        },
    )
    settle(services)
    with sign_in(app, manager) as client:
        page = client.get(f"/ui/customers/{customer_id}").text
        quick = page.split('id="quick-lead_captured"')[1].split("</form>")[0]
        assert 'name="lead_id"' not in quick  # the system chooses the id
        assert '<select id="quick-lead_captured-source_channel"' in quick
        form = {
            "kind": "lead_captured",
            "source_channel": "fair",
            "target_group": "HR managers",
            "interest": "Leadership training for 12",
            "idempotency_key": unique("k"),
            "csrf_token": csrf_of(page),
        }
        assert client.post(f"/ui/customers/{customer_id}/touchpoints", data=form).status_code == 303
        settle(services)
        board = client.get("/ui/pipeline").text
        lead_id = re.findall(r'data-lead="(L-[0-9A-F]{8})"', board)
        assert len(lead_id) == 1
        lead = card(board, lead_id[0])
        assert "Leadership training for 12" in lead and "messut" in lead
        assert counts(board) == {"captured": "1", "qualified": "0", "converted": "0", "lost": "0"}
        assert 'id="pipeline-range"' in board and "1\u20131 / 1" in board

        def move(move: str, **fields: str) -> None:
            data = {"lead_id": lead_id[0], "move": move, "csrf_token": csrf_of(board), **fields}
            response = client.post(f"/ui/pipeline/{customer_id}/move", data=data)
            assert response.status_code == 303, response.text
            settle(services)

        move("qualify", idempotency_key=unique("q"))
        qualified = client.get("/ui/pipeline?stage=qualified").text
        picker = card(qualified, lead_id[0])
        assert f'<option value="{purchase_id}">' in picker  # converting picks a purchase
        move("convert", purchase_id=purchase_id, idempotency_key=unique("c"))
        converted = client.get("/ui/pipeline?stage=converted").text
        link = re.search(rf'href="(/ui/customers/{customer_id}\?entry=\d+#entry-\d+)"', converted)
        assert link is not None and purchase_id in card(converted, lead_id[0])
        assert counts(converted) == {
            "captured": "0",
            "qualified": "0",
            "converted": "1",
            "lost": "0",
        }
        # The customer page lists the lead and shows the purchase it links to.
        assert "Johtamiskoulutus" in client.get(link.group(1)).text

        # A lead already converted cannot be qualified again: refused on the page, 409.
        data = {"lead_id": lead_id[0], "move": "qualify", "csrf_token": csrf_of(board)}
        refused = client.post(f"/ui/pipeline/{customer_id}/move", data=data)
        assert refused.status_code == 409

    # The API reads the same pipeline, the converted lead linked to its purchase.
    api = TestClient(app)
    headers = {"Authorization": f"Bearer {token}"}
    body = api.get("/pipeline", params={"stage": "converted"}, headers=headers).json()
    assert (body["total"], body["offset"], body["limit"]) == (1, 0, 50)
    assert body["counts"] == {"captured": 0, "qualified": 0, "converted": 1, "lost": 0}
    item = body["items"][0]
    assert (item["lead_id"], item["purchase_id"]) == (lead_id[0], purchase_id)
    assert item["interest"] == "Leadership training for 12" and item["source_channel"] == "fair"
    assert api.get("/pipeline", headers=headers).json()["total"] == 0  # nothing open
    bad = api.get("/pipeline", params={"stage": "won"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "stage"]


def test_losing_a_lead_needs_a_reason_named_in_the_pages_language(
    app: FastAPI, services: Services
) -> None:
    manager = new_user(services, Role.ACCOUNT_MANAGER)
    customer_id = services.crm.register_customer(
        provenance(datetime.now(UTC) - timedelta(days=3)),
        customer_kind="person",
        customer_type="individual",
        name=unique("Menetys"),
        email=None,
        account_manager=manager,
    ).customer_id
    lead_id = unique("L")
    services.crm.record_touchpoint(
        customer_id,
        provenance(datetime.now(UTC) - timedelta(days=2)),
        "lead_captured",
        {
            "notes": None,
            "lead_id": lead_id,
            "source_channel": "webinar",
            "target_group": "ICT",
            "interest": None,
        },
    )
    settle(services)
    with sign_in(app, manager) as client:
        board = client.get("/ui/pipeline").text
        data = {"lead_id": lead_id, "move": "lose", "reason": "", "csrf_token": csrf_of(board)}
        response = client.post(f"/ui/pipeline/{customer_id}/move", data=data)
        assert response.status_code == 422
        problem = response.text.split('id="pipeline-problem"')[1].split("</div>")[0]
        assert "Syy" in problem and lead_id in problem
        assert "pipeline.this_lead" not in card(response.text, lead_id)
        assert "Tämän liidin siirto ei onnistunut." in card(response.text, lead_id)
        unknown = client.post(f"/ui/pipeline/{customer_id}/move", data={**data, "move": "teleport"})
        assert unknown.status_code == 422
        data["reason"] = "Budget went elsewhere"
        assert client.post(f"/ui/pipeline/{customer_id}/move", data=data).status_code == 303
        settle(services)
        lost = client.get("/ui/pipeline?stage=lost").text
        assert lead_id in lost and counts(lost)["lost"] == "1"


def test_my_customers_says_what_it_covers_and_pages_on(app: FastAPI, services: Services) -> None:
    manager = new_user(services, Role.ACCOUNT_MANAGER)
    tag = unique("Sivutettu").replace("-", "")
    for n in range(55):
        services.crm.register_customer(
            provenance(datetime.now(UTC) - timedelta(days=5)),
            customer_kind="person",
            customer_type="individual",
            name=f"{tag} {n:02d}",
            email=None,
            account_manager=manager,
        )
    settle(services)
    with sign_in(app, manager) as client:
        first = client.get("/ui/my-customers").text
        assert "1\u201350 / 55" in first and f"{tag} 49" in first and f"{tag} 50" not in first
        following = re.search(r'rel="next" href="(/ui/my-customers\?[^"]+)"', first)
        assert following is not None
        second = client.get(following.group(1).replace("&amp;", "&")).text
        assert "51\u201355 / 55" in second and f"{tag} 54" in second
        reverse = client.get("/ui/my-customers", params={"sort": "-name"}).text
        assert reverse.index(f"{tag} 54") < reverse.index(f"{tag} 53")
        found = client.get("/ui/my-customers", params={"q": f"{tag} 07".lower()}).text
        assert "1\u20131 / 1" in found
        client.cookies.set("crm_lang", "en")
        client.get("/ui/language/en?next=/ui")
        searched = client.get("/ui/customers", params={"q": tag, "kind": "person"}).text
        assert "1\u201350 / 55" in searched


def test_open_leads_on_my_customers_filter_by_source_channel(
    app: FastAPI, services: Services
) -> None:
    manager = new_user(services, Role.ACCOUNT_MANAGER)
    customer_id = services.crm.register_customer(
        provenance(datetime.now(UTC) - timedelta(days=9)),
        customer_kind="person",
        customer_type="individual",
        name=unique("Kanava"),
        email=None,
        account_manager=manager,
    ).customer_id
    leads = {channel: unique(f"L-{channel}") for channel in ("fair", "webinar")}
    for channel, lead_id in leads.items():
        services.crm.record_touchpoint(
            customer_id,
            provenance(datetime.now(UTC) - timedelta(days=8)),
            "lead_captured",
            {
                "notes": None,
                "lead_id": lead_id,
                "source_channel": channel,
                "target_group": "ICT",
                "interest": None,
            },
        )
    settle(services)
    with sign_in(app, manager) as client:
        every = client.get("/ui/my-customers").text
        fair = client.get("/ui/my-customers", params={"leads_channel": "fair"}).text
    assert leads["fair"] in every and leads["webinar"] in every
    assert leads["fair"] in fair and leads["webinar"] not in fair
    assert 'id="leads-range">1\u20131 / 1' in fair


def test_the_record_form_picks_the_customers_own_leads_and_purchases_instead_of_typing(
    app: FastAPI, services: Services
) -> None:
    manager = new_user(services, Role.ACCOUNT_MANAGER)
    customer_id = services.crm.register_customer(
        provenance(datetime.now(UTC) - timedelta(days=9)),
        customer_kind="person",
        customer_type="individual",
        name=unique("Valinta"),
        email=None,
        account_manager=manager,
    ).customer_id
    captured, qualified = unique("L-a"), unique("L-b")
    for lead_id in (captured, qualified):
        services.crm.record_touchpoint(
            customer_id,
            provenance(datetime.now(UTC) - timedelta(days=8)),
            "lead_captured",
            {"notes": None, "lead_id": lead_id, "source_channel": "fair",
             "target_group": "ICT", "interest": None},
        )  # fmt: skip
    services.crm.record_touchpoint(
        customer_id,
        provenance(datetime.now(UTC) - timedelta(days=7)),
        "lead_qualified",
        {"notes": None, "lead_id": qualified},
    )
    with sign_in(app, manager) as client:
        url = f"/ui/customers/{customer_id}"
        capture = client.get(url, params={"record_kind": "lead_captured"}).text
        qualify = client.get(url, params={"record_kind": "lead_qualified"}).text
        convert = client.get(url, params={"record_kind": "lead_converted"}).text
    form = capture.split('id="record-form"')[1].split("</form>")[0]
    assert 'name="lead_id"' not in form and 'id="tp-source_channel"' in form
    picker = qualify.split('<select id="tp-lead_id"')[1].split("</select>")[0]
    assert captured in picker and qualified not in picker
    picker = convert.split('<select id="tp-lead_id"')[1].split("</select>")[0]
    assert qualified in picker and captured not in picker
    assert '<select id="tp-purchase_id"' in convert
