"""The test tree mirrors the packages: inside each tier, a folder names the package it tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TESTS = ROOT / "tests"
SRC = ROOT / "src"

TIER_PACKAGES = {"unit": "", "integration": "", "api": "api", "browser": "api", "reliability": None}
"""Each tier's folders mirror `src/` from this package down; `None`: the tier stays flat."""
NOT_MIRRORED = {TESTS / "unit" / "architecture"}
"""Folders that test the tree as a whole rather than one package."""


def folders_with_python() -> list[Path]:
    """Every folder below a tier that holds Python files."""
    return sorted(
        folder
        for folder in TESTS.rglob("*")
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob("*.py"))
    )


def test_every_folder_of_tests_is_a_package() -> None:
    # Without `__init__.py` pytest names a module by its file alone, and two `test_crm.py`
    # in different tiers would collide.
    missing = [
        str(f.relative_to(ROOT)) for f in folders_with_python() if not (f / "__init__.py").exists()
    ]
    assert missing == []


def test_every_tier_is_known() -> None:
    tiers = {folder.name for folder in TESTS.iterdir() if (folder / "__init__.py").exists()}
    assert tiers == set(TIER_PACKAGES)


def test_every_folder_inside_a_tier_names_a_package_under_src() -> None:
    strays = []
    for folder in folders_with_python():
        tier, *inside = folder.relative_to(TESTS).parts
        if not inside or folder in NOT_MIRRORED or tier not in TIER_PACKAGES:
            continue
        base = TIER_PACKAGES[tier]
        package = SRC.joinpath(*([base] if base else []), *inside)
        if base is None or not (package / "__init__.py").exists():
            strays.append(str(folder.relative_to(ROOT)))
    assert strays == []
