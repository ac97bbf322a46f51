"""A customer's deep copy equals the generic `copy.deepcopy` and shares nothing mutable."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from crm.domain.customer import Customer
from crm.speedups.aggregate_copy import IMMUTABLE_TYPES, undeclared_mutable_state
from tests.factories import customer_journey


def customers() -> list[Customer]:
    """A customer as registered (events pending) and one with state of every kind, saved."""
    registered = customer_journey()
    journey = customer_journey(visits=3)
    journey.collect_events()
    return [registered, journey]


def mutable_parts(value: Any) -> Iterator[Any]:
    """Every mutable object reachable from `value`; frozen dataclasses (events) and tuples
    are looked into but are not mutable themselves."""
    if type(value) in IMMUTABLE_TYPES:
        return
    if isinstance(value, tuple | frozenset):
        items: list[Any] = list(value)
    elif isinstance(value, dict):
        yield value
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list | set):
        yield value
        items = list(value)
    elif (
        dataclasses.is_dataclass(value)
        and not isinstance(value, type)
        and getattr(value, "__dataclass_params__").frozen  # noqa: B009 - not in typeshed
    ):
        items = list(vars(value).values())
    else:
        yield value
        items = list(vars(value).values()) if hasattr(value, "__dict__") else []
    for item in items:
        yield from mutable_parts(item)


def generic_copy(customer: Customer) -> dict[str, Any]:
    """The state `copy.deepcopy` would give a copy without the aggregate's own `__deepcopy__`."""
    return copy.deepcopy(vars(customer))


def test_every_mutable_attribute_of_a_customer_is_declared_for_copying() -> None:
    for customer in customers():
        assert undeclared_mutable_state(customer) == []
        assert set(Customer.copied_state) <= set(vars(customer))


@pytest.mark.parametrize("customer", customers(), ids=["registered", "journey"])
def test_a_copied_customer_equals_the_generic_deep_copy(customer: Customer) -> None:
    clone = copy.deepcopy(customer)
    assert type(clone) is Customer
    assert vars(clone) == generic_copy(customer)


@pytest.mark.parametrize("customer", customers(), ids=["registered", "journey"])
def test_a_copied_customer_shares_no_mutable_object_with_the_original(customer: Customer) -> None:
    clone = copy.deepcopy(customer)
    original_parts = {id(part) for part in mutable_parts(vars(customer))}
    assert not [part for part in mutable_parts(vars(clone)) if id(part) in original_parts]


@pytest.mark.parametrize("customer", customers(), ids=["registered", "journey"])
def test_changing_any_attribute_of_a_copy_never_changes_the_original(customer: Customer) -> None:
    before = generic_copy(customer)
    clone = copy.deepcopy(customer)
    changed = 0
    for part in mutable_parts(vars(clone)):
        if isinstance(part, dict):
            part["changed in the copy"] = None
        elif isinstance(part, list):
            part.append("changed in the copy")
        changed += 1
    for name in vars(clone):
        setattr(clone, name, "replaced in the copy")
    assert changed >= len(Customer.copied_state)
    assert vars(customer) == before


def test_an_undeclared_mutable_attribute_is_still_copied_deeply() -> None:
    customer = customer_journey()
    customer.notebook = {"pages": [["first"]]}  # type: ignore[attr-defined]
    assert undeclared_mutable_state(customer) == ["notebook"]
    clone = copy.deepcopy(customer)
    clone.notebook["pages"][0].append("second")  # type: ignore[attr-defined]
    assert customer.notebook == {"pages": [["first"]]}  # type: ignore[attr-defined]
