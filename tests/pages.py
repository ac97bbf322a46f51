"""The app's routes as tests enumerate them: every endpoint, and the web UI's pages by method."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

PARAMETER = re.compile(r"\{([^}:]+)(:[^}]*)?\}")


def flat_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Routes with included routers opened up (FastAPI keeps them nested in `app.routes`)."""
    for route in routes:
        if hasattr(route, "effective_candidates"):
            yield from flat_routes(route.effective_candidates())
        elif hasattr(route, "original_route"):
            yield route.original_route
        else:
            yield route


def endpoints(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    """Every (method, path, route) the app serves, HEAD aside."""
    found: list[tuple[str, str, APIRoute]] = []
    for route in flat_routes(app.routes):
        if isinstance(route, APIRoute):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append((method, route.path, route))
    return found


def is_page(path: str) -> bool:
    return path == "/ui" or path.startswith("/ui/")


def pages(app: FastAPI, method: str) -> list[str]:
    """The web UI's paths (with their `{parameters}`) that answer `method`."""
    return sorted({path for m, path, _ in endpoints(app) if m == method and is_page(path)})


def fill(path: str, values: Mapping[str, object]) -> str:
    """The path with each `{parameter}` replaced by its value."""
    return PARAMETER.sub(lambda match: str(values[match.group(1)]), path)
