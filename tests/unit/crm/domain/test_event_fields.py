"""Event classes describe their own fields: name, type, whether required, whether personal."""

from __future__ import annotations

import dataclasses
import typing
from decimal import Decimal

from crm.domain import events as ev
from crm.domain.customer import CHOICES


def test_every_event_class_lists_each_of_its_dataclass_fields_once_with_its_role() -> None:
    for cls in ev.CUSTOMER_EVENT_CLASSES:
        names = [f.name for f in dataclasses.fields(cls)]
        assert [f.name for f in cls.fields()] == names
        hints = typing.get_type_hints(cls)
        for field in cls.fields():
            assert field.annotation == hints[field.name]
            sealed = field.name in cls.personal_fields or field.name in cls.hashed_fields
            assert field.personal == sealed
            assert field.hashed == (field.name in cls.hashed_fields)
        own = {f.name for f in cls.own_fields()}
        assert own == set(names) - set(ev.ENVELOPE_FIELDS) - set(ev.PROVENANCE_FIELDS)


def test_a_field_that_may_hold_none_is_not_required() -> None:
    fields = {f.name: f for f in ev.PurchaseMade.own_fields()}
    assert fields["amount"].required and fields["amount"].annotation is Decimal
    assert not fields["invoice_reference"].required
    assert fields["notes"].personal and not fields["notes"].required
    assert "occurred_at" not in fields and "originator_id" not in fields


def test_every_field_of_every_event_class_is_personal_hashed_or_clear_for_a_reason() -> None:
    unclassified = []
    for cls in ev.CUSTOMER_EVENT_CLASSES:
        for field in cls.fields():
            if field.role == "envelope":
                continue
            sealed = field.name in cls.personal_fields or field.name in cls.hashed_fields
            if sealed == (field.clear_reason is not None):
                unclassified.append(f"{cls.__name__}.{field.name}")
    assert unclassified == []


def test_a_field_declared_twice_or_under_a_name_the_class_lacks_is_refused() -> None:
    for cls in ev.CUSTOMER_EVENT_CLASSES:
        names = {f.name for f in cls.fields()}
        declared = [*cls.personal_fields, *cls.hashed_fields]
        assert len(declared) == len(set(declared)), cls.__name__
        assert set(declared) | set(cls.clear_reasons()) <= names, cls.__name__
        assert set(cls.clear_reasons().values()) <= set(ev.CLEAR_REASONS), cls.__name__


def test_a_field_kept_in_clear_as_vocabulary_is_checked_against_the_vocabulary() -> None:
    for cls in ev.CUSTOMER_EVENT_CLASSES:
        for name, reason in cls.clear_reasons().items():
            if reason == "vocabulary" and name in {f.name for f in cls.fields()}:
                assert name in CHOICES, f"{cls.__name__}.{name} has no closed vocabulary"


def test_a_string_field_a_client_types_is_sealed_unless_it_comes_from_the_system() -> None:
    # Only these strings are kept in clear without a vocabulary: each one is a value the
    # system holds (staff names, stored idempotency keys, task ids it generates, the kind of
    # a retracted entry copied from that entry) or the provider's sector list.
    allowed = {
        "recorded_by",
        "idempotency_key",
        "account_manager",
        "sector",
        "owner",
        "task_id",
        "retracted_kind",
        # Checked against the provider's catalogue when recorded (`CRM.catalogued_code`).
        "offering_code",
    }
    for cls in ev.CUSTOMER_EVENT_CLASSES:
        for field in cls.fields():
            text = str in (typing.get_args(field.annotation) or (field.annotation,))
            if text and field.clear_reason in ("system", "catalogue"):
                assert field.name in allowed, f"{cls.__name__}.{field.name}"


def test_client_chosen_ids_that_rules_compare_are_hashed() -> None:
    assert "lead_id" in ev.LeadConverted.hashed_fields
    assert {"lead_id", "purchase_id"} <= set(ev.LeadConverted.hashed_fields)
    assert "purchase_id" in ev.PurchaseRefunded.hashed_fields
    assert "evidence" in ev.ConsentGiven.personal_fields
