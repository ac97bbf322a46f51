"""VACUUM of the read models after an erasure, so no dead row version keeps what they purged.

Each view that has applied the `Erased` event (waiting up to a timeout for it) has its tables
vacuumed, outside a transaction. A view that had not reached the event in time (its worker
runs elsewhere and lags) is left to autovacuum and reported as not vacuumed.
"""

from __future__ import annotations

from crm.adapters.postgres.vacuum import vacuum
from projections.engine.generations import LiveViews


def vacuum_views(
    views: LiveViews, database_url: str, position: int | None, timeout: float
) -> dict[str, bool]:
    """Per view, whether its tables were vacuumed after it applied log position `position`."""
    done: dict[str, bool] = {}
    for view in views.refresh():
        reached = view.wait_for(position, timeout)
        if reached:
            vacuum(database_url, view.table_names())
        done[view.name] = reached
    return done
