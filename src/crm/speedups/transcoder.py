"""A faster JSON transcoder with the library's stored format, encoded and decoded with orjson.

Replaying the log is dominated by JSON decoding and bulk imports by JSON encoding, so this
speeds up every projection, every customer load and every import. The bytes it writes are
exactly those of the library's `JSONTranscoder`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)

CHECKED_AGAINST = {"eventsourcing": "9.5.6", "orjson": "3.13.0"}
"""The library's `JSONTranscoder` output and its `_decode_obj`, and orjson's output, as in
these releases."""

_PLAIN: frozenset[type] = frozenset({str, int, bool, type(None)})
"""Types orjson writes byte for byte as the library's `json` encoder does (integers beyond 64
bits, which orjson refuses, fall back to the library)."""

_JSON_NATIVE = (str, int, float, list, tuple, dict)
"""Types the `json` encoder writes itself, never through a registered transcoding."""

Build = Callable[[Any], dict[str, Any]]


class _UnusualError(Exception):
    """A value the fast encoder would not write exactly as the library does."""


class FastJSONTranscoder(JSONTranscoder):
    """Encodes and decodes with orjson. Anything unusual (floats, big integers, subclasses of
    built-in types, keys that are not strings, unregistered types) goes through the library's
    own encoder or decoder, so the stored bytes never differ."""

    def __init__(self) -> None:
        super().__init__()
        self._builds: dict[type, Build] = {}

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        if issubclass(transcoding.type, _JSON_NATIVE):
            # The json encoder never consults a transcoding for these: leave them to it.
            self._builds.pop(transcoding.type, None)
        else:
            self._builds[transcoding.type] = self._build_for(transcoding)

    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(self._prepare(obj))
        except (_UnusualError, TypeError):
            return super().encode(obj)

    def _prepare(self, value: Any) -> Any:
        """The value with each registered type replaced by its `{"_type_", "_data_"}` object
        as the library's encoder writes it; raises `_UnusualError` for anything orjson would
        write differently."""
        kind = type(value)
        build = self._builds.get(kind)
        if build is not None:
            return build(value)
        if kind is dict:
            # An event's state: mostly text, a few datetimes and Decimals, seldom anything
            # nested, so registered types are built here without a call to `_prepare`.
            builds = self._builds
            prepared = {}
            for key, item in value.items():
                item_kind = type(item)
                if item_kind in _PLAIN:
                    prepared[key] = item
                else:
                    build = builds.get(item_kind)
                    prepared[key] = build(item) if build is not None else self._prepare(item)
            return prepared
        if kind is list or kind is tuple:
            return [item if type(item) in _PLAIN else self._prepare(item) for item in value]
        if kind in _PLAIN:
            return value
        raise _UnusualError

    def _build_for(self, transcoding: Transcoding) -> Build:
        """How to write a registered type: the library's own transcodings without calling
        them (their output is known), any other through its `encode`."""
        name = transcoding.name
        if type(transcoding) is DatetimeAsISO:
            return _datetime_build(name)
        if type(transcoding) is DecimalAsStr:
            return lambda value: {"_type_": name, "_data_": str(value)}
        if type(transcoding) is UUIDAsHex:
            return lambda value: {"_type_": name, "_data_": value.hex}
        return lambda value: {
            "_type_": transcoding.name,
            "_data_": self._prepare(transcoding.encode(value)),
        }

    def decode(self, data: bytes) -> Any:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            return super().decode(data)
        return self._revive(value)

    def _revive(self, value: Any) -> Any:
        """Revive `{"_type_", "_data_"}` objects bottom-up, exactly as the library's object
        hook does."""
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, (dict, list)):
                    value[key] = self._revive(item)
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                return self._decode_obj(value)
            return value
        if isinstance(value, list):
            return [
                self._revive(item) if isinstance(item, (dict, list)) else item for item in value
            ]
        return value


def _datetime_build(name: str) -> Build:
    """Writes a datetime as `DatetimeAsISO` does. orjson's own datetime format is
    `isoformat()`'s, except for UTC offsets with seconds (local mean time before the
    1920s) and tzinfo classes it does not know: those are formatted by `isoformat()`."""

    def build(value: datetime) -> dict[str, Any]:
        zone = value.tzinfo
        if zone is UTC or zone is None:
            return {"_type_": name, "_data_": value}
        if type(zone) is ZoneInfo or type(zone) is timezone:
            offset = value.utcoffset()
            if offset is not None and not offset.seconds % 60 and not offset.microseconds:
                return {"_type_": name, "_data_": value}
        return {"_type_": name, "_data_": value.isoformat()}

    return build
