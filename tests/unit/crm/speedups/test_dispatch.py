"""An aggregate's looked-up rules are the ones its `singledispatchmethod` would call."""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any
from uuid import UUID

import pytest

from crm.domain import events as ev
from crm.domain.customer import Customer
from crm.speedups.dispatch import rule_lookup
from tests.factories import customer_journey, provenance


def replayed(events: list[ev.CustomerEvent]) -> dict[str, Any]:
    state: Customer | None = None
    for event in events:
        state = event.mutate(state)
    return dict(vars(state))


def journey_events() -> list[ev.CustomerEvent]:
    """Events of every class a customer has, in an order its rules accept."""
    customer = customer_journey(visits=2)
    organisation_id = UUID(next(iter(customer.affiliations)))
    customer.name_digimentor(provenance(), organisation_id)
    # Ending the affiliation ends the digimentor role too.
    customer.end_affiliation(provenance(), organisation_id)
    customer.erase(provenance(), "Asked to be forgotten")
    return list(customer.collect_events())  # type: ignore[arg-type]


def test_replaying_through_looked_up_rules_leaves_the_state_the_method_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = journey_events()
    missing = set(ev.CUSTOMER_EVENT_CLASSES) - {type(event) for event in events}
    assert not missing, f"add {missing} to the journey, so their rules are compared too"
    fast = replayed(events)

    def apply_through_the_method(self: Customer, event: ev.CustomerEvent) -> None:
        self.when(event)
        self.remember(event)

    monkeypatch.setattr(Customer, "apply_event", apply_through_the_method)
    assert replayed(events) == fast


def test_an_attribute_that_is_not_a_singledispatchmethod_is_refused() -> None:
    with pytest.raises(TypeError):
        rule_lookup(Customer, "apply_event")
    assert isinstance(vars(Customer)["when"], singledispatchmethod)
