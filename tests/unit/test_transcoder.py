"""The fast transcoder decodes exactly what the library's own decoder does."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from eventsourcing.persistence import JSONTranscoder

from crm.application import DateAsISO
from crm.transcoder import FastJSONTranscoder


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
