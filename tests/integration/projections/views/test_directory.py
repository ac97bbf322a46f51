"""The directory holds names in clear for search, so erasure deletes the row and vacuums."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from api.bootstrap.wiring import Services
from projections.views.directory import CustomerDirectory
from tests.factories import provenance, registration, unique


def last_vacuum(services: Services, table: str) -> datetime | None:
    view = services.views.get(CustomerDirectory)
    rows = view.query("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = %s", (table,))
    return rows[0]["last_vacuum"] if rows else None


def test_erasure_deletes_the_directory_row_and_vacuums_the_tables_it_touched(
    services: Services,
) -> None:
    name = unique("Directory Person")
    registered = services.crm.register_customer(provenance(), **registration(name=name))
    customer_id = registered.customer_id
    directory = services.views.get(CustomerDirectory)
    assert directory.wait_for(registered.position, 5)
    assert [r["customer_id"] for r in directory.search(name)[0]] == [customer_id]
    started = datetime.now(UTC)

    request = services.privacy.erase_customer(
        customer_id, "dpo", "art. 17", uuid4(), datetime.now(UTC)
    )

    position = request.certificate["erased_event"]["position"] if request.certificate else None
    assert directory.wait_for(position, 5)
    rows = directory.query(
        "SELECT count(*) AS n FROM {p}customers WHERE customer_id = %s", (customer_id,)
    )
    assert rows[0]["n"] == 0
    assert directory.search(name) == ([], 0)
    for table in (f"{directory.prefix}customers", "customer_data_keys", "identity_claims"):
        vacuumed = last_vacuum(services, table)
        assert vacuumed is not None and vacuumed >= started, table
