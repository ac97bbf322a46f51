"""The rule a `singledispatchmethod` picks for a class, looked up without binding the method.

Every access to a `singledispatchmethod` on an instance builds and wraps a new function; an
aggregate applies one rule per event on every load, so it looks its rules up directly in the
dispatcher the descriptor holds. `dispatcher` is an attribute of CPython's `functools`, not
documented API.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import singledispatchmethod
from typing import Any

CHECKED_AGAINST = {"python": "3.11"}
"""`functools.singledispatchmethod` keeps a `singledispatch` function as `dispatcher` and calls
what its `dispatch` returns for the class of the first argument."""


def rule_lookup(owner: type, name: str) -> Callable[[type], Callable[..., Any]]:
    """For a class, the function the `singledispatchmethod` `owner.name` calls (with the
    instance first) for an argument of that class."""
    method = vars(owner)[name]
    if not isinstance(method, singledispatchmethod):
        raise TypeError(f"{owner.__name__}.{name} is not a singledispatchmethod")
    dispatch: Callable[[type], Callable[..., Any]] = method.dispatcher.dispatch
    return dispatch
