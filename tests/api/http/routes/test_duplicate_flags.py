"""Probable duplicates flagged where something was just recorded: the import report (API and
page) and the customer page, each flag linking to the comparison page and saying how many
customers were checked."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.api.web_client import PASSWORD, sign_in
from tests.factories import register

CSV = {"Content-Type": "text/csv"}


def letters() -> str:
    """A random run of letters (an e-mail stem drops trailing digits)."""
    return "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:10])


def manager(services: Services) -> tuple[str, dict[str, str]]:
    name = f"am-flags-{uuid.uuid4().hex[:6]}"
    token = services.users.add(name, Role.ACCOUNT_MANAGER, PASSWORD)
    return name, {"Authorization": f"Bearer {token}"}


def test_an_import_report_flags_a_new_record_that_is_probably_an_existing_customer(
    client: TestClient, services: Services, app: FastAPI
) -> None:
    name, headers = manager(services)
    local = f"{letters()}.{letters()}"
    existing = register(
        services.crm, name="Maija Meikäläinen", email=f"{local}@yritys.fi", account_manager=name
    )
    body = (
        "Etunimi;Sukunimi;Sähköposti;Messut;Käyntiaika;Lisätiedot\n"
        f"Maija;Meikäläinen;{local}2@gmail.com;Studia;14.3.2025 10:00;Kiinnostunut\n"
        f"Ville;Virta;{letters()}@example.fi;Studia;14.3.2025 10:05;\n"
    ).encode()
    response = client.post(
        "/imports?mapping=fair_visitors&source=studia.csv", content=body, headers={**headers, **CSV}
    )
    assert response.status_code == 201, response.text
    import_id = response.json()["import_id"]
    new = services.crm.find_by_email(f"{local}2@gmail.com")
    assert new is not None
    wait_until_caught_up(services.projector, services.views.refresh())

    report = client.get(f"/imports/{import_id}", headers=headers)
    assert report.status_code == 200, report.text
    flags = report.json()["probable_duplicates"]
    assert (flags["customers"], flags["checked"]) == (2, 2)
    assert flags["compared"] >= 3 and flags["flagged"] == len(flags["pairs"]) >= 1
    [pair] = [p for p in flags["pairs"] if p["other_id"] == str(existing)]
    assert pair["customer_id"] == str(new)
    assert "email_local_part_variant" in pair["evidence"] and "same_name" in pair["evidence"]
    assert pair["compare"] == f"/ui/duplicates/compare?first={new}&second={existing}"
    # The imported record has no account manager yet: not the caller's to merge.
    assert pair["mergeable"] is False

    with sign_in(app, name) as page:
        shown = page.get(f"/ui/imports/{import_id}")
        compare = page.get(pair["compare"])
        customer = page.get(f"/ui/customers/{existing}")
    assert shown.status_code == 200, shown.text
    assert 'id="duplicate-flags"' in shown.text
    assert f'href="/ui/duplicates/compare?first={new}&amp;second={existing}"' in shown.text
    assert "2 / 2" in shown.text
    assert compare.status_code == 200
    # The existing customer's page flags the new record too, by name.
    assert customer.status_code == 200, customer.text
    assert 'id="duplicate-flags"' in customer.text
    assert f'href="/ui/duplicates/compare?first={existing}&amp;second={new}"' in customer.text


def test_a_customer_without_probable_duplicates_shows_no_flags_nor_does_a_dpos_page(
    services: Services, app: FastAPI
) -> None:
    name, _ = manager(services)
    alone = register(
        services.crm,
        name=f"{letters().title()} {letters().title()}",
        email=f"{letters()}@example.fi",
        phone=None,
        account_manager=name,
    )
    wait_until_caught_up(services.projector, services.views.refresh())
    with sign_in(app, name) as page:
        shown = page.get(f"/ui/customers/{alone}")
    assert shown.status_code == 200
    assert 'id="duplicate-flags"' not in shown.text
    # A DPO reads customer pages but does not merge: no flags are computed for them.
    dpo = f"web-dpo-{uuid.uuid4().hex[:6]}"
    services.users.add(dpo, Role.DPO, PASSWORD)
    with sign_in(app, dpo) as page:
        assert 'id="duplicate-flags"' not in page.get(f"/ui/customers/{alone}").text
