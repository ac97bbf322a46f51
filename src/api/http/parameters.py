"""Request parameters several routes share, each bounded to what the store can hold.

Every integer a client sends ends up compared with a PostgreSQL `bigint` (log positions,
versions, offsets); one beyond its range would fail in the database as a 500 instead of
being refused here as a 422 naming the parameter. `tests/api/http/test_parameters.py`
checks that every integer input of the API has an upper bound.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

BIGINT_MAX = 2**63 - 1
"""The largest value of a PostgreSQL `bigint`."""

After = Annotated[
    int | None,
    Query(
        ge=0,
        le=BIGINT_MAX,
        description="A log position the answer must include (from a write).",
    ),
]
Offset = Annotated[int, Query(ge=0, le=BIGINT_MAX, description="First row of the page.")]
EntryVersion = Annotated[
    int, Path(ge=1, le=BIGINT_MAX, description="The entry's version on the customer's stream.")
]
