"""A snapshot stored by an older release (before some attributes existed) still loads: the
customer gets the starting values of what the snapshot lacks, through the real data mapper."""

from __future__ import annotations

import copy

from crm.domain.customer import Customer
from tests.factories import in_memory_crm, register


def test_a_snapshot_without_attributes_added_since_loads_with_their_starting_values() -> None:
    crm = in_memory_crm()
    customer = crm.get_customer(register(crm))
    snapshot = Customer.Snapshot.take(customer)
    # What a release before invoices, merges and tasks stored: none of those attributes.
    for added_since in ("invoices", "absorbed", "merged_into", "tasks"):
        del snapshot.state[added_since]
    stored = crm.mapper.to_stored_event(snapshot)

    restored = crm.mapper.to_domain_event(stored)
    assert isinstance(restored, Customer.Snapshot)
    loaded = restored.mutate(None)

    assert isinstance(loaded, Customer)
    added = (loaded.invoices, loaded.absorbed, loaded.merged_into, loaded.tasks)
    assert added == ({}, {}, None, {})
    assert loaded.name == customer.name
    copied = copy.deepcopy(loaded)  # what the repository hands out
    assert copied.invoices == {} and copied.invoices is not loaded.invoices
