"""Rebuilding a view: fill a new generation beside the live one, then switch readers to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from api.bootstrap.wiring import VIEW_CLASSES, Services
from projections.engine.view import View

RebuildProgress = Callable[[str, int, int, int], None]
"""Called with (generation tag, head position, events applied, position reached)."""


class UnknownViewError(ValueError):
    """No view of that name is wired into the service."""

    def __init__(self, name: str) -> None:
        known = ", ".join(view.name for view in VIEW_CLASSES)
        super().__init__(f"unknown view {name!r}; one of: {known}")


@dataclass(frozen=True)
class Rebuilt:
    """The outcome of a rebuild: the generation now live and the one it replaced."""

    view_name: str
    tag: str
    replaced: str | None


def view_class_named(name: str) -> type[View]:
    """The wired view class of that name."""
    for view_class in VIEW_CLASSES:
        if view_class.name == name:
            return view_class
    raise UnknownViewError(name)


def rebuild_view(
    services: Services,
    name: str,
    *,
    batch_size: int,
    progress: RebuildProgress | None = None,
) -> Rebuilt:
    """Fill a new generation of the view from the first event, switch readers, drop the old."""
    view_class = view_class_named(name)
    generations = services.views.generations
    tag = generations.next_tag(view_class)
    view = services.views.build(view_class, tag)
    view.create_table()
    services.projector.batch_size = batch_size
    head = services.projector.head()

    def report(applied: int, position: int) -> None:
        if progress is not None:
            progress(tag, head, applied, position)

    services.projector.catch_up(view, until=head, progress=report)
    # Close the gap left by writes during the rebuild, then switch.
    services.projector.catch_up(view, progress=report)
    old = generations.switch(view_class, tag)
    if old and old != tag:
        view_class(services.views.datastore, old).drop_tables()
        generations.forget(view_class, old)
    return Rebuilt(name, tag, old)
