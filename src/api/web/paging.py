"""Paged lists on pages: what a page covers ("1-50 / 1 172") and the links to its neighbours,
with the list's other parameters kept."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from api.web.forms import link_position


@dataclass(frozen=True)
class ListPage:
    """Which rows of a list a page shows, of how many, and the query strings of its neighbours."""

    first: int
    last: int
    total: int
    previous: str | None
    next: str | None


def list_page(
    params: dict[str, str], offset_name: str, offset: int, shown: int, total: int, size: int
) -> ListPage:
    """The page starting at `offset` with `shown` rows of `total`; `params` are the list's
    filters and sort, carried into the links (empty ones left out)."""
    kept = {k: v for k, v in params.items() if v and k != offset_name}

    def link(position: int) -> str:
        return urlencode({**kept, offset_name: position} if position else kept)

    return ListPage(
        first=offset + 1 if shown else 0,
        last=offset + shown if shown else 0,
        total=total,
        previous=link(max(offset - size, 0)) if offset else None,
        next=link(offset + size) if offset + shown < total else None,
    )


def offset_of(text: str | None) -> int:
    """A list's offset from a page's query string (a hand-edited one shows the first page)."""
    return link_position(text, 0)


def count_text(value: int, language: str) -> str:
    """A count the way the language writes it: "1 172" in Finnish, "1,172" in English."""
    grouped = f"{value:,}"
    return grouped.replace(",", "\u00a0") if language == "fi" else grouped
