"""`Application.save` without the library's generic event collection for one aggregate class.

The library collects pending events by asking two runtime-checkable protocols about every
object it is given; on Python 3.11 those checks cost more than deciding a touchpoint. An
aggregate of the named class hands over its events directly; every other object, and every
step after collection (recording, caching, snapshots, notification), is the library's own,
called in the order `Application.save` calls it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import Recording

CHECKED_AGAINST = {"eventsourcing": "9.5.6"}
"""`Application.save`, `_record`, `_take_snapshots`, `_notify` and `notify` as in this
release: re-read `Application.save` before raising it."""

TAggregateID = TypeVar("TAggregateID", UUID, str)


def save_collecting_directly(
    app: Application[TAggregateID],
    objs: Sequence[Any],
    kwargs: dict[str, Any],
    direct: type[Any],
) -> list[Recording[TAggregateID]]:
    """What `app.save(*objs, **kwargs)` does, collecting events of `direct` aggregates (exact
    class) without the protocol checks."""
    processing_event: ProcessingEvent[TAggregateID] = ProcessingEvent()
    for obj in objs:
        if type(obj) is direct:
            processing_event.events.extend(obj.collect_events())
            processing_event.aggregates[obj.id] = obj
        else:
            processing_event.collect_events(obj)
    processing_event.saved_kwargs.update(kwargs)
    recordings = app._record(processing_event)
    app._take_snapshots(processing_event)
    app._notify(recordings)
    app.notify(processing_event.events)  # Deprecated in the library, still called by its save.
    return recordings
