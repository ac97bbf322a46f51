"""A faster JSON transcoder: the library's encoding (so the stored format is unchanged), decoded
with orjson. Replaying the log is dominated by JSON decoding, so this speeds up every
projection and every customer load."""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder


class FastJSONTranscoder(JSONTranscoder):
    """Decodes with orjson and revives `{"_type_", "_data_"}` objects bottom-up, exactly as the
    library's object hook does; anything orjson refuses falls back to the library's decoder."""

    def decode(self, data: bytes) -> Any:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            return super().decode(data)
        return self._revive(value)

    def _revive(self, value: Any) -> Any:
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
