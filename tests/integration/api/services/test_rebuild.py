"""Rebuilding a view as a service call: a new generation, filled, switched to, old one gone."""

from __future__ import annotations

import pytest

from api.bootstrap.wiring import Services
from api.services.rebuild import UnknownViewError, rebuild_view
from projections.views.directory import CustomerDirectory
from tests.factories import register
from tests.views import view_rows


def test_a_rebuild_switches_readers_to_a_filled_generation_and_reports_its_progress(
    isolated_services: Services,
) -> None:
    services = isolated_services
    for _ in range(3):
        register(services.crm)
    old = services.views.get(CustomerDirectory)
    services.projector.catch_up(old)
    rows_before = view_rows(old)
    reports: list[tuple[str, int, int, int]] = []

    rebuilt = rebuild_view(
        services,
        CustomerDirectory.name,
        batch_size=2,
        progress=lambda *report: reports.append(report),
    )

    assert rebuilt.replaced == old.tag and rebuilt.tag != old.tag
    services.views.refresh(force=True)
    new = services.views.get(CustomerDirectory)
    assert new.tag == rebuilt.tag
    assert view_rows(new) == rows_before
    assert reports and reports[-1][0] == rebuilt.tag
    assert reports[-1][3] == services.projector.head()


def test_a_rebuild_of_a_view_that_is_not_wired_is_refused_before_anything_is_built(
    isolated_services: Services,
) -> None:
    with pytest.raises(UnknownViewError, match="timeline"):
        rebuild_view(isolated_services, "no_such_view", batch_size=10)
