"""Helpers to compare whole read models in tests."""

from __future__ import annotations

from typing import Any

from projections.engine.view import View


def view_rows(view: View) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the view (tracking excluded), in a canonical order."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with view.datastore.get_connection() as conn, conn.cursor() as cursor:
        for table in view.own_tables():
            cursor.execute(f'SELECT * FROM "{view.prefix}{table}"')
            fetched = cursor.fetchall()
            opened = getattr(view, "opened", None)
            if fetched and "evidence" in fetched[0] and opened is not None:
                # Sealed anew by each build (a random nonce): compare what it says instead.
                fetched = opened(fetched)
            rows[table] = sorted((tuple(row.values()) for row in fetched), key=repr)
    return rows
