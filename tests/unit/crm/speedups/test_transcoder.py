"""The fast transcoder writes exactly the library's bytes and decodes exactly what the
library's own decoder does."""

from __future__ import annotations

import copy
import dataclasses
import enum
import math
import os
import typing
import uuid
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.persistence import JSONTranscoder
from eventsourcing.utils import get_topic

from crm.adapters.encryption import InMemoryKeyRing
from crm.adapters.mapper import PersonalDataMapper
from crm.application.crm import DateAsISO
from crm.domain.customer import Customer
from crm.domain.events import CUSTOMER_EVENT_CLASSES, TOUCHPOINT_KINDS
from crm.speedups.transcoder import FastJSONTranscoder
from tests.factories import every_touchpoint, provenance


def both() -> tuple[JSONTranscoder, FastJSONTranscoder]:
    from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, UUIDAsHex

    pair = (JSONTranscoder(), FastJSONTranscoder())
    for transcoder in pair:
        for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
            transcoder.register(transcoding)
    return pair


def test_fast_decoding_equals_the_library_decoding_for_nested_typed_values() -> None:
    library, fast = both()
    value = {
        "at": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        "amount": Decimal("1200.50"),
        "id": uuid.uuid4(),
        "day": date(2026, 1, 15),
        "state": {"changes": {"newsletter": [[datetime(2025, 1, 1, tzinfo=UTC), True]]}},
        "list": [1, 2.5, None, "ä€", {"_type_": "not-a-pair"}],
        "big": 2**70,
    }
    encoded = library.encode(value)
    assert fast.decode(encoded) == library.decode(encoded)
    assert fast.decode(encoded)["amount"] == Decimal("1200.50")


# Encoding ------------------------------------------------------------------------------


class Label(str):
    pass


class Level(enum.Enum):
    LOW = 1


class Rank(enum.IntEnum):
    FIRST = 1


TRICKY_TEXT = 'ä€ "quoted" back\\slash\n\t\r\x00\x01\x1f\x7f\u2028\u2029 😀'


def sample_value(hint: Any, name: str) -> Any:
    """A value of the field's declared type, with text that needs escaping."""
    if typing.get_origin(hint) is tuple:
        return (
            tuple(sample_value(arg, name) for arg in typing.get_args(typing.get_args(hint)[0])),
        )
    args = [a for a in getattr(hint, "__args__", ()) if a is not type(None)]
    hint = args[0] if args else hint
    samples: dict[Any, Any] = {
        str: f"{name} {TRICKY_TEXT}",
        datetime: datetime(2025, 3, 30, 12, 30, 15, 120, tzinfo=ZoneInfo("Europe/Helsinki")),
        date: date(2026, 2, 28),
        Decimal: Decimal("1200.50"),
        int: 7,
        uuid.UUID: uuid.UUID("c4e1f0e2-8a4b-4c1e-9f0a-1234567890ab"),
    }
    return samples[hint]


def event_states() -> list[dict[str, Any]]:
    """The state the mapper encodes for one event of every class, as it is encoded."""
    states = []
    for cls in CUSTOMER_EVENT_CLASSES:
        hints = typing.get_type_hints(cls)
        state = {
            name: sample_value(hints[name], name)
            for name in (f.name for f in dataclasses.fields(cls))
            if name not in ("originator_id", "originator_version")
        }
        state["timestamp"] = datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
        states.append(state)
    return states


def customer_snapshot_state() -> dict[str, Any]:
    """A snapshot's state: nested dicts, lists of tuples, UUIDs and Decimals inside."""
    customer = Customer.register(
        customer_id=uuid.uuid4(),
        provenance=provenance(),
        customer_kind="person",
        customer_type="individual",
        name="Äijä Öljynen",
        email="aija@example.fi",
        phone=None,
        sector=None,
        account_manager=None,
    )
    for kind, fields in every_touchpoint():
        customer.record_touchpoint(
            provenance(), TOUCHPOINT_KINDS[kind], fields, now=datetime.now(UTC)
        )
    state = dict(vars(Customer.Snapshot.take(customer)))
    del state["originator_id"], state["originator_version"]
    return state


TRICKY_VALUES: list[Any] = [
    {},
    [],
    None,
    "",
    TRICKY_TEXT,
    {"nested": {"deeper": [None, True, False, 0, -1, 2**63 - 1, -(2**63)]}},
    {"ids": [uuid.uuid4(), {"id": uuid.uuid4()}], "when": (date(1, 1, 1), date(9999, 12, 31))},
    {"amounts": [Decimal("0"), Decimal("-0"), Decimal("1E+3"), Decimal("NaN")]},
    {"naive": datetime(2025, 1, 1, 12, 0), "micro": datetime(2025, 1, 1, 0, 0, 0, 1, UTC)},
    {"offset": datetime(2025, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))},
    # Local mean time: an offset with seconds, which orjson would round to minutes.
    {"lmt": datetime(1900, 1, 1, 12, 0, tzinfo=ZoneInfo("Europe/Helsinki"))},
    {"odd offset": datetime(2025, 1, 1, tzinfo=timezone(timedelta(seconds=3661)))},
    {"float": 1.5, "big float": 1e16, "tiny": 1e-7, "nan": math.nan, "inf": math.inf},
    {"huge": 2**64, "negative huge": -(2**70)},
    {"tuple": (1, "a", (2, [3]))},
    {"subclass": Label("x")},
    {"enum": Rank.FIRST},
    {Label("key"): 1},
]


@pytest.mark.parametrize(
    "value",
    [*event_states(), customer_snapshot_state(), *TRICKY_VALUES],
    ids=[
        *(cls.__name__ for cls in CUSTOMER_EVENT_CLASSES),
        "snapshot",
        *(f"tricky-{i}" for i in range(len(TRICKY_VALUES))),
    ],
)
def test_fast_encoding_writes_the_library_bytes(value: Any) -> None:
    library, fast = both()
    assert fast.encode(value) == library.encode(value)


def test_datetimes_in_any_zone_and_era_encode_as_the_library_does() -> None:
    library, fast = both()
    zones: list[tzinfo | None] = [None, UTC, timezone(timedelta(hours=-3, seconds=-1))]
    zones += [ZoneInfo(name) for name in ("Europe/Helsinki", "America/Sitka", "Asia/Kolkata")]
    moments = [
        datetime(year, month, 15, 13, 45, 30, micro, tzinfo=zone, fold=fold)
        for year in (1, 999, 1880, 1921, 1970, 2025, 9999)
        for month in (3, 10)
        for micro in (0, 1, 999999)
        for zone in zones
        for fold in (0, 1)
    ]
    for moment in moments:
        assert fast.encode({"at": moment}) == library.encode({"at": moment}), moment


def test_values_the_library_cannot_encode_fail_the_same_way() -> None:
    library, fast = both()
    for value in ({"unregistered": Level.LOW}, {"surrogate": "\ud800"}, {1: 2, "a": {2.5: 1}}):
        try:
            expected: Any = library.encode(value)
        except Exception as error:  # whatever the library raises, the fast one raises too
            with pytest.raises(type(error)):
                fast.encode(value)
        else:
            assert fast.encode(value) == expected


def test_a_transcoding_registered_by_the_application_is_used() -> None:
    library, fast = both()
    value = {"days": [date(2026, 1, 15), {"day": date(2025, 12, 31)}]}
    assert fast.encode(value) == library.encode(value)
    assert b'"_type_":"date_iso"' in fast.encode(value)


# Mapping -------------------------------------------------------------------------------


def sample_events() -> list[Any]:
    """One event of every customer event class, and a customer snapshot."""
    customer_id = uuid.uuid4()
    events: list[Any] = []
    for version, state in enumerate(event_states(), start=1):
        cls = CUSTOMER_EVENT_CLASSES[version - 1]
        event = object.__new__(cls)
        object.__setattr__(
            event,
            "__dict__",
            {"originator_id": customer_id, "originator_version": version, **state},
        )
        events.append(event)
    snapshot = object.__new__(Customer.Snapshot)
    object.__setattr__(
        snapshot,
        "__dict__",
        {"originator_id": customer_id, "originator_version": 99, **customer_snapshot_state()},
    )
    return [*events, snapshot]


def test_the_mapper_stores_the_library_state_with_personal_fields_sealed() -> None:
    library, fast = both()
    keys = InMemoryKeyRing(os.urandom(32))
    mapper = PersonalDataMapper(fast, keys)
    for event in sample_events():
        keys.ensure_keys([event.originator_id])
        before = copy.deepcopy(vars(event))
        stored = mapper.to_stored_event(event)
        assert vars(event) == before
        assert stored.originator_id == event.originator_id
        assert stored.originator_version == event.originator_version
        assert stored.topic == get_topic(type(event))
        # What the library's mapper stores, with the personal fields moved into the blob.
        state = copy.deepcopy(before)
        del state["originator_id"], state["originator_version"]
        personal = {}
        for name in getattr(type(event), "hashed_fields", ()):
            if state.get(name) is not None:
                personal[name] = state[name]
                state[name] = library.decode(stored.state)[name]
                assert state[name].startswith("h:") and state[name] != personal[name]
        for path in type(event).personal_fields:
            *parents, leaf = path.split(".")
            node = state
            for part in parents:
                node = node[part]
            if node.get(leaf) is not None:
                personal[path] = node[leaf]
            node.pop(leaf, None)
        if personal:
            state["personal"] = library.decode(stored.state)["personal"]
            # Through JSON, as a snapshot's tuples always were.
            expected = library.decode(library.encode(personal))
            assert mapper.open_sealed(event.originator_id, state["personal"]) == expected
        assert stored.state == library.encode(state)
