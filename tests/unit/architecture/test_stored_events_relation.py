"""The read side reads stored events through one relation, never the event store's tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PROJECTIONS = Path(__file__).resolve().parents[3] / "src" / "projections"
EVENT_STORE_TABLES = re.compile(r"\b(crm_events|crm_snapshots|EVENTS_TABLE|SNAPSHOTS_TABLE)\b")


@pytest.mark.parametrize(
    "module", sorted(PROJECTIONS.rglob("*.py")), ids=lambda p: str(p.relative_to(PROJECTIONS))
)
def test_no_read_model_names_the_event_store_tables(module: Path) -> None:
    """Moving the event store then means filling `crm_stored_events`, not rewriting views."""
    assert not EVENT_STORE_TABLES.findall(module.read_text()), module
