"""Customer search and lists: accents and case, parts of e-mails, domains and phones, an
organisation's people, paging with a total, sorting, filters, and what marketing may match."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.factories import RoleHeaders, provenance, register, unique


def settle(services: Services) -> None:
    wait_until_caught_up(services.projector, services.views.refresh())


def ids(body: dict[str, object]) -> list[str]:
    items = body["items"]
    assert isinstance(items, list)
    return [item["id"] for item in items]


def test_search_ignores_accents_and_case_and_matches_parts_of_emails_domains_and_phones(
    client: TestClient, services: Services, as_role: RoleHeaders
) -> None:
    tag = unique("").strip("-")
    domain = f"{tag}.example.fi"
    person = register(
        services.crm,
        name=f"Yrjö Ärräpää {tag}",
        email=f"yrjo.arrapaa@{domain}",
        phone="+358 40 {} {}".format(tag[:3].translate(str.maketrans("abcdef", "123456")), "77"),
    )
    settle(services)
    am = as_role[Role.ACCOUNT_MANAGER]
    phone_digits = "040" + tag[:3].translate(str.maketrans("abcdef", "123456")) + "77"
    for query in (f"yrjo arrapaa {tag}", f"YRJÖ ÄRRÄPÄÄ {tag}", domain, f"@{domain}", phone_digits):
        found = client.post("/customers/search", json={"query": query}, headers=am).json()
        assert ids(found) == [str(person)], query
        assert found["total"] == 1
    # Marketing may not see e-mails or phones, so parts of them match nothing for it.
    marketing = as_role[Role.MARKETING]
    for query in (domain, phone_digits):
        found = client.post("/customers/search", json={"query": query}, headers=marketing).json()
        assert found == {"items": [], "total": 0, "offset": 0, "limit": 50}, query
    by_name = client.get("/customers", params={"query": f"Yrjo Arrapaa {tag}"}, headers=marketing)
    assert ids(by_name.json()) == [str(person)]


def test_an_organisations_name_finds_its_people(
    client: TestClient, services: Services, as_role: RoleHeaders
) -> None:
    company = unique("Pörssi Oy")
    organisation = register(services.crm, "organisation", name=company)
    person = register(services.crm, name=unique("Maija"))
    services.crm.start_affiliation(person, provenance(), organisation, "CEO")
    settle(services)
    found = client.get(
        "/customers",
        params={"query": company.lower().replace("ö", "o")},
        headers=as_role[Role.ACCOUNT_MANAGER],
    ).json()
    assert set(ids(found)) == {str(organisation), str(person)}
    assert found["items"][0]["id"] == str(organisation)  # the shorter name first


def test_a_list_pages_with_its_total_sorts_and_filters_by_kind_and_owner(
    client: TestClient, services: Services, as_role: RoleHeaders
) -> None:
    tag = unique("Sivu").replace("-", "")
    owner = unique("owner.am")
    people = [
        register(services.crm, name=f"{tag} {letter}", account_manager=owner) for letter in "CABED"
    ]
    organisation = register(services.crm, "organisation", name=f"{tag} Oy", account_manager=owner)
    settle(services)
    am = as_role[Role.ACCOUNT_MANAGER]
    params: dict[str, str | int] = {"query": tag, "kind": "person", "sort": "name", "limit": 2}
    first = client.get("/customers", params=params, headers=am).json()
    third = client.get("/customers", params={**params, "offset": 4}, headers=am).json()
    assert (first["total"], first["offset"], first["limit"]) == (5, 0, 2)
    by_letter = dict(zip("CABED", (str(p) for p in people), strict=True))
    assert ids(first) == [by_letter["A"], by_letter["B"]]
    assert ids(third) == [by_letter["E"]]
    reverse = client.get("/customers", params={**params, "sort": "-name"}, headers=am).json()
    assert ids(reverse) == [by_letter["E"], by_letter["D"]]
    owned = client.get(
        "/customers", params={"account_manager": owner, "limit": 200}, headers=am
    ).json()
    assert owned["total"] == 6 and str(organisation) in ids(owned)
    assert client.get("/customers", params={"limit": 201}, headers=am).status_code == 422
    assert client.get("/customers", params={"sort": "x"}, headers=am).status_code == 422


def test_mine_lists_the_callers_own_customers(
    client: TestClient, services: Services, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    me = client.get("/customers", params={"mine": True, "limit": 1}, headers=am).json()
    mine = register(services.crm, name=unique("Oma"), account_manager=caller_name(services, am))
    settle(services)
    after = client.get("/customers", params={"mine": True, "limit": 1}, headers=am).json()
    assert after["total"] == me["total"] + 1
    found = client.get(
        "/customers", params={"mine": True, "sort": "-first_seen", "limit": 200}, headers=am
    ).json()
    assert str(mine) in ids(found)


def caller_name(services: Services, headers: dict[str, str]) -> str:
    token = headers["Authorization"].removeprefix("Bearer ")
    user = services.users.by_token(token)
    assert user is not None
    return user.name
