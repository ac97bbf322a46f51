"""Every departure from a library's own path names the releases it was checked against, so an
upgrade fails here and names the module to compare with the library's new code."""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

import pytest

import crm.speedups
from crm.adapters.postgres import event_store

ROOT = Path(__file__).resolve().parents[4]

FENCED: list[ModuleType] = [
    *(
        importlib.import_module(f"crm.speedups.{module.name}")
        for module in pkgutil.iter_modules(crm.speedups.__path__)
    ),
    # The adapter's own insert and bulk COPY: it is the adapter, so it stays there.
    event_store,
]


def installed(distribution: str) -> str:
    if distribution == "python":
        return f"{sys.version_info.major}.{sys.version_info.minor}"
    return version(distribution)


def pinned(distribution: str) -> str | None:
    """The exact version pyproject.toml pins, if it pins one."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in dependencies:
        found = re.fullmatch(rf"{re.escape(distribution)}(\[[^]]*\])?==(\S+)", requirement)
        if found:
            return found.group(2)
    return None


@pytest.mark.parametrize("module", FENCED, ids=lambda module: module.__name__)
def test_each_departure_was_checked_against_the_installed_and_pinned_releases(
    module: ModuleType,
) -> None:
    checked: dict[str, str] = getattr(module, "CHECKED_AGAINST", {})
    assert checked, f"{module.__name__} does not say which releases it was checked against"
    for distribution, release in checked.items():
        found: dict[str, str | None] = {"installed": installed(distribution)}
        if distribution != "python":
            found["pinned in pyproject.toml"] = pinned(distribution)
        for where, current in found.items():
            assert current == release, (
                f"{distribution} {current} is {where}, but {module.__name__} was checked "
                f"against {release}: compare it with the library's own path in the new release "
                f"(its equivalence tests help), then update its CHECKED_AGAINST"
            )
