"""The partner network over HTTP: tiers as catalogue data, benefits used (refused without a
tier that includes them), the yearly review and the reviews due, Digi Fellow."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from tests.factories import RoleHeaders, ensure_partner_tiers, register_over_http, unique

NOW = datetime.now(UTC)


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def touch(
    client: TestClient, headers: dict[str, str], customer_id: str, kind: str, days: float, **f: Any
) -> int:
    body = {"kind": kind, "occurred_at": ago(days), "institution": "TAMK", "channel": "other"}
    response = client.post(
        f"/customers/{customer_id}/touchpoints", json={**body, "notes": None, **f}, headers=headers
    )
    assert response.status_code == 201, response.text
    return int(response.json()["position"])


def partner(
    client: TestClient,
    as_role: RoleHeaders,
    tier: str = "paid",
    days: float = 400,
    owner: str | None = None,
) -> str:
    """A new organisation, a partner of the tier since `days` ago, owned by `owner`."""
    ensure_partner_tiers(client, as_role[Role.ADMIN])
    am = as_role[Role.ACCOUNT_MANAGER]
    organisation = register_over_http(client, am, "organisation", account_manager=owner)
    touch(client, am, organisation, "partner_membership_started", days, tier=tier)
    return organisation


def benefit(client: TestClient, headers: dict[str, str], customer_id: str, **body: Any) -> Any:
    return client.post(f"/customers/{customer_id}/partner-benefits", json=body, headers=headers)


def test_every_role_reads_the_tiers_and_only_an_admin_revises_them(
    client: TestClient, as_role: RoleHeaders
) -> None:
    position = ensure_partner_tiers(client, as_role[Role.ADMIN])
    for role in Role:
        response = client.get("/partner-tiers", params={"after": position}, headers=as_role[role])
        assert response.status_code == 200, (role, response.text)
        tiers = {t["code"]: t for t in response.json()["tiers"]}
        assert response.json()["total"] == 2
        assert "programme_discount" in tiers["paid"]["benefits"]
        assert "programme_discount" not in tiers["free"]["benefits"]
    terms = {
        k: v for k, v in tiers["paid"].items() if k not in ("code", "changed_at", "changed_by")
    }
    refused = client.put("/partner-tiers/paid", json=terms, headers=as_role[Role.MARKETING])
    assert refused.status_code == 403
    again = client.post(
        "/partner-tiers", json={**terms, "code": "paid"}, headers=as_role[Role.ADMIN]
    )
    assert again.status_code == 409 and "revise" in again.json()["detail"]


def test_bad_tier_terms_are_refused_naming_the_field(
    client: TestClient, as_role: RoleHeaders
) -> None:
    ensure_partner_tiers(client, as_role[Role.ADMIN])
    admin = as_role[Role.ADMIN]
    base = {"name_fi": "Maksullinen", "name_en": "Paid", "annual_fee": "2500.00"}
    cases = [
        ({**base, "benefits": ["free_lunch"]}, "benefits"),
        ({**base, "benefits": ["programme_discount"]}, "discount_percent"),
        ({**base, "benefits": ["visibility"], "discount_percent": "10"}, "discount_percent"),
        ({**base, "benefits": [], "annual_fee": "-1"}, "annual_fee"),
        ({**base, "benefits": [], "name_en": ""}, "name_en"),
    ]
    for body, field in cases:
        response = client.put("/partner-tiers/paid", json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text, (field, response.text)
    unknown = client.put("/partner-tiers/gold", json={**base, "benefits": []}, headers=admin)
    assert unknown.status_code == 422 and "code" in unknown.text


def test_a_paid_partner_records_a_discount_and_a_free_one_is_refused(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    paid = partner(client, as_role, "paid")
    purchase = {"purchase_id": unique("P"), "offering": "Johtaminen",
                "offering_type": "open_training", "amount": "1000.00",
                "invoice_reference": None}  # fmt: skip
    touch(client, am, paid, "purchase_made", 10, **purchase)
    used = benefit(client, am, paid, benefit="programme_discount",
                   purchase_id=purchase["purchase_id"], discount_percent="15",
                   occurred_at=ago(9))  # fmt: skip
    assert used.status_code == 201, used.text

    free = partner(client, as_role, "free")
    touch(client, am, free, "purchase_made", 10, **purchase)
    refused = benefit(client, am, free, benefit="programme_discount",
                      purchase_id=purchase["purchase_id"], discount_amount="100")  # fmt: skip
    assert refused.status_code == 409
    assert "free tier did not include the benefit programme_discount" in refused.json()["detail"]


def test_a_benefit_before_the_membership_began_is_refused(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    organisation = partner(client, as_role, "paid", days=30)
    early = benefit(client, am, organisation, benefit="visibility", occurred_at=ago(60))
    assert early.status_code == 409 and "no partner membership" in early.json()["detail"]
    touch(client, am, organisation, "partner_membership_ended", 5, reason="Budget")
    after_end = benefit(client, am, organisation, benefit="visibility", occurred_at=ago(1))
    assert after_end.status_code == 409
    during = benefit(client, am, organisation, benefit="visibility", occurred_at=ago(20))
    assert during.status_code == 201, during.text


def test_bad_benefit_input_is_refused_naming_the_field(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    organisation = partner(client, as_role, "paid")
    touch(client, am, organisation, "purchase_made", 3, purchase_id="PX", offering="X",
          offering_type="coaching", amount="200.00", invoice_reference=None)  # fmt: skip
    cases = [
        ({"benefit": "programme_discount", "discount_amount": "10"}, "purchase_id"),
        ({"benefit": "programme_discount", "purchase_id": "nope", "discount_amount": "1"},
         "purchase_id"),
        ({"benefit": "programme_discount", "purchase_id": "PX"}, "discount_amount"),
        ({"benefit": "programme_discount", "purchase_id": "PX", "discount_amount": "500"},
         "discount_amount"),
        ({"benefit": "programme_discount", "purchase_id": "PX", "discount_percent": "101"},
         "discount_percent"),
        ({"benefit": "targeted_training"}, "offering_code"),
        ({"benefit": "targeted_training", "offering_code": "NO-SUCH-CODE"}, "offering_code"),
        ({"benefit": "visibility", "purchase_id": "PX"}, "purchase_id"),
        ({"benefit": "free_lunch"}, "benefit"),
        ({"benefit": "visibility", "occurred_at": "2999-01-01T00:00:00+00:00"}, "occurred_at"),
    ]  # fmt: skip
    for body, field in cases:
        response = benefit(client, am, organisation, **body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text, (field, response.text)
    marketing = benefit(client, as_role[Role.MARKETING], organisation, benefit="visibility")
    assert marketing.status_code == 403


def test_the_review_gathers_the_partner_and_its_people_since_the_last_review(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    organisation = partner(client, as_role, "paid", days=500)
    person = register_over_http(client, am, "person")
    linked = client.post(
        f"/customers/{person}/affiliations",
        json={"organisation_id": organisation, "role": None},
        headers=am,
    )
    assert linked.status_code == 201, linked.text
    # Before the last review: not in the review.
    touch(client, am, organisation, "purchase_made", 300, purchase_id=unique("P"),
          offering="Vanha", offering_type="coaching", amount="999.00",
          invoice_reference=None)  # fmt: skip
    held = client.post(
        f"/partners/{organisation}/reviews",
        json={"outcome": "continues", "next_review_due": str(date.today() + timedelta(days=200)),
              "occurred_at": ago(200), "notes": "Hyvä vuosi"},
        headers=am,
    )  # fmt: skip
    assert held.status_code == 201, held.text
    touch(client, am, organisation, "purchase_made", 100, purchase_id="ORG-1",
          offering="Johtaminen", offering_type="company_training", amount="1200.00",
          invoice_reference=None)  # fmt: skip
    touch(client, am, person, "purchase_made", 90, purchase_id=unique("P"),
          offering="Valmennus", offering_type="coaching", amount="300.00",
          invoice_reference=None)  # fmt: skip
    touch(client, am, person, "webinar_attended", 80, webinar_id="w", title="Tekoäly")
    touch(client, am, person, "recommendation_given", 70, offering="Valmennus")
    assert benefit(client, am, organisation, benefit="programme_discount",
                   purchase_id="ORG-1", discount_amount="150.00",
                   occurred_at=ago(99)).status_code == 201  # fmt: skip
    position = benefit(client, am, organisation, benefit="partner_search",
                       occurred_at=ago(50)).json()["position"]  # fmt: skip

    response = client.get(
        f"/partners/{organisation}/review",
        params={"after": position, "limit": 3},
        headers=am,
    )
    assert response.status_code == 200, response.text
    review = response.json()
    assert review["since_basis"] == "last_review" and review["people"] == 1
    assert review["tier"] == "paid" and review["last_outcome"] == "continues"
    totals = {t["section"]: t for t in review["totals"]}
    assert totals["bought"]["entries"] == 2 and totals["bought"]["amount"] == "1500.00"
    assert totals["attended"]["entries"] == 1
    assert totals["recommended"]["entries"] == 1
    assert totals["used"]["entries"] == 2 and totals["used"]["amount"] == "150.00"
    assert review["total_entries"] == 6 and len(review["entries"]) == 3
    assert review["entries"][0]["kind"] == "partner_benefit_used"  # newest first
    uses = {b["benefit"]: b for b in review["benefits"]}
    assert uses["programme_discount"]["discounts"] == "150.00"
    page_two = client.get(
        f"/partners/{organisation}/review", params={"offset": 3, "limit": 3}, headers=am
    ).json()
    assert [e["kind"] for e in page_two["entries"]][-1] == "purchase_made"
    whole = client.get(
        f"/partners/{organisation}/review",
        params={"since": str(date.today() - timedelta(days=400))},
        headers=am,
    ).json()
    assert whole["since_basis"] == "given" and whole["total_entries"] == 7
    assert client.get(f"/partners/{organisation}/review", headers=as_role[Role.MARKETING]
                      ).status_code == 403  # fmt: skip


def test_bad_review_input_is_refused_naming_the_field(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    organisation = partner(client, as_role)
    soon = str(date.today() + timedelta(days=300))
    cases = [
        ({"outcome": "great", "next_review_due": soon}, "outcome"),
        ({"outcome": "continues"}, "next_review_due"),
        ({"outcome": "continues", "next_review_due": str(date.today() - timedelta(days=1))},
         "next_review_due"),
        ({"outcome": "continues", "next_review_due": "soon"}, "next_review_due"),
    ]  # fmt: skip
    for body, field in cases:
        response = client.post(f"/partners/{organisation}/reviews", json=body, headers=am)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text
    for path in ("/partners/not-a-uuid/review", "/partners/due-reviews?offset=-1",
                 "/partners/due-reviews?limit=100000"):  # fmt: skip
        assert client.get(path, headers=am).status_code == 422, path


def test_the_reviews_due_read_the_next_date_and_page_with_a_total(
    client: TestClient, as_role: RoleHeaders, services: Services, tokens: dict[Role, str]
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    manager = services.users.by_token(tokens[Role.ACCOUNT_MANAGER])
    assert manager is not None
    overdue = partner(client, as_role, days=500, owner=manager.name)  # due a year after joining
    reviewed = partner(client, as_role, days=500, owner=manager.name)
    client.post(
        f"/partners/{reviewed}/reviews",
        json={"outcome": "continues", "next_review_due": str(date.today() + timedelta(days=90)),
              "occurred_at": ago(10)},
        headers=am,
    )  # fmt: skip
    soon = partner(client, as_role, days=500, owner=manager.name)
    someone_elses = partner(client, as_role, days=500, owner="someone.else")
    last = client.post(
        f"/partners/{soon}/reviews",
        json={"outcome": "tier_raised", "next_review_due": str(date.today() + timedelta(days=7)),
              "occurred_at": ago(10)},
        headers=am,
    )  # fmt: skip
    position = last.json()["position"]
    listed: dict[str, Any] = {}
    offset, total = 0, None
    while total is None or offset < total:
        page = client.get(
            "/partners/due-reviews",
            params={"offset": offset, "limit": 2, "after": position},
            headers=am,
        ).json()
        total = page["total"]
        assert len(page["partners"]) <= 2
        listed.update({p["customer_id"]: p for p in page["partners"]})
        offset += 2
    assert len(listed) == total
    assert overdue in listed and soon in listed
    assert reviewed not in listed and someone_elses not in listed
    assert listed[soon]["review_due"] == str(date.today() + timedelta(days=7))
    dues = [p["review_due"] for p in listed.values()]
    assert dues == sorted(dues)


def test_digi_fellow_members_and_their_events_are_listed_on_the_programme(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    organisation = partner(client, as_role, days=100)
    outsider = partner(client, as_role, days=100)
    joined = client.post(
        f"/customers/{organisation}/programmes",
        json={"programme": "digi_fellow", "occurred_at": ago(60)},
        headers=am,
    )
    assert joined.status_code == 201, joined.text
    again = client.post(
        f"/customers/{organisation}/programmes", json={"programme": "digi_fellow"}, headers=am
    )
    assert again.status_code == 409
    event = {"event_name": "Digi Fellow -työpaja", "organiser": "own", "event_format": "event",
             "programme": "digi_fellow"}  # fmt: skip
    position = touch(client, am, organisation, "event_attended", 30, **event)
    refused = client.post(
        f"/customers/{outsider}/touchpoints",
        json={"kind": "event_attended", "occurred_at": ago(30), "institution": "TAMK",
              "channel": "other", "notes": None, **event},
        headers=am,
    )  # fmt: skip
    assert refused.status_code == 409 and "digi_fellow" in refused.json()["detail"]
    page = client.get(
        "/programmes/digi_fellow", params={"after": position, "limit": 200}, headers=am
    ).json()
    members = {m["customer_id"] for m in page["members"]}
    assert organisation in members and outsider not in members
    assert page["members_total"] >= 1
    taking_part = {p["customer_id"] for e in page["events"] for p in e["participants"]}
    assert organisation in taking_part
    left = client.post(
        f"/customers/{organisation}/programmes/digi_fellow/departure",
        json={"reason": "Ei aikaa"},
        headers=am,
    )
    assert left.status_code == 201, left.text
    after = client.get(
        "/programmes/digi_fellow", params={"after": left.json()["position"], "limit": 200},
        headers=am,
    ).json()  # fmt: skip
    assert organisation not in {m["customer_id"] for m in after["members"]}
    assert client.get("/programmes/unknown", headers=am).status_code == 422
    person = register_over_http(client, am, "person")
    not_org = client.post(
        f"/customers/{person}/programmes", json={"programme": "digi_fellow"}, headers=am
    )
    assert not_org.status_code == 409
