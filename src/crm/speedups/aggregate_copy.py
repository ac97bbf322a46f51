"""Deep copies of aggregates that copy only their mutable state.

The repository hands out deep copies of cached aggregates, and the generic `copy.deepcopy`
walked every remembered idempotency key of a customer: it dominated the cost of loading one.
An aggregate declares how to copy each mutable attribute (containers of immutable values
copy in one C call); values of an immutable type are shared; anything else is deep-copied
as before, so an attribute nobody declared is still copied correctly, only slowly
(a test enumerates the attributes so that none is).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Self
from uuid import UUID

CHECKED_AGAINST = {"eventsourcing": "9.5.6"}
"""The library's aggregates keep all their state, its own included (`_id`, `_version`,
`_pending_events`...), in the instance `__dict__`."""

IMMUTABLE_TYPES: frozenset[type] = frozenset(
    {str, int, bool, float, type(None), bytes, Decimal, datetime, date, timedelta, UUID}
)
"""Types whose values a copy may share with the original."""


class CopiesMutableStateOnly:
    """`__deepcopy__` from a declared copy per mutable attribute."""

    copied_state: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}
    """Per mutable attribute, a function returning a copy that shares nothing mutable."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        clone = object.__new__(type(self))
        copiers = self.copied_state
        state = {}
        for name, value in self.__dict__.items():
            copier = copiers.get(name)
            if copier is not None:
                state[name] = copier(value)
            elif type(value) in IMMUTABLE_TYPES:
                state[name] = value
            else:
                state[name] = copy.deepcopy(value, memo)
        clone.__dict__.update(state)
        return clone


def undeclared_mutable_state(obj: CopiesMutableStateOnly) -> list[str]:
    """Attributes of `obj` that its `__deepcopy__` copies by the generic, slow path."""
    return [
        name
        for name, value in vars(obj).items()
        if name not in obj.copied_state and type(value) not in IMMUTABLE_TYPES
    ]
