"""Event classes describe their own fields: name, type, whether required, whether personal."""

from __future__ import annotations

import dataclasses
import typing
from decimal import Decimal

from crm.domain import events as ev


def test_every_event_class_lists_each_of_its_dataclass_fields_once_with_its_role() -> None:
    for cls in ev.CUSTOMER_EVENT_CLASSES:
        names = [f.name for f in dataclasses.fields(cls)]
        assert [f.name for f in cls.fields()] == names
        hints = typing.get_type_hints(cls)
        for field in cls.fields():
            assert field.annotation == hints[field.name]
            assert field.personal == (field.name in cls.personal_fields)
        own = {f.name for f in cls.own_fields()}
        assert own == set(names) - set(ev.ENVELOPE_FIELDS) - set(ev.PROVENANCE_FIELDS)


def test_a_field_that_may_hold_none_is_not_required() -> None:
    fields = {f.name: f for f in ev.PurchaseMade.own_fields()}
    assert fields["amount"].required and fields["amount"].annotation is Decimal
    assert not fields["invoice_reference"].required
    assert fields["notes"].personal and not fields["notes"].required
    assert "occurred_at" not in fields and "originator_id" not in fields
