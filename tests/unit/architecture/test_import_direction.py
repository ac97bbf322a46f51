"""Imports point down: every module under `src/` imports only from rooms below its own.

The layers, lowest first: `crm` decides, `projections` reads, `api` translates. Inside each
package the rooms are ranked too; rooms of one rank are siblings and never import each other.
An import that breaks the order is allowed only when listed in `KNOWN_UPWARD_IMPORTS` with its
reason, so a new one cannot slip in unnoticed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src"
TOP_LEVEL_PACKAGES = ("crm", "projections", "api")

ROOM_RANKS: dict[str, int] = {
    # Speed-ups depend on the libraries only; the aggregate and the application use them.
    "crm.speedups": 0,
    "crm.domain": 1,
    "crm.application": 2,
    # Adapters implement the ports the domain and the application declare.
    "crm.adapters": 3,
    "projections.engine": 10,
    "projections.views": 11,
    "projections.audits": 12,
    "projections.segments": 12,
    "projections.lifetime": 12,
    "projections.duplicates": 12,
    # Modules directly in `api/`: users, roles and the permission matrix.
    "api": 20,
    "api.bootstrap": 21,
    "api.services": 22,
    "api.http": 23,
    "api.web": 24,
    "api.worker": 25,
    "api.cli": 26,
}
"""Each room's place in the order; the longest matching prefix names a module's room."""

KNOWN_UPWARD_IMPORTS: dict[tuple[str, str], str] = {
    ("crm.application.crm", "crm.adapters.encryption"): (
        "the CRM application builds its personal-data mapper from the key ring it is given"
    ),
    ("crm.application.crm", "crm.adapters.mapper"): (
        "the CRM application builds its personal-data mapper, as the library's Application does"
    ),
    ("crm.application.imports", "crm.adapters.postgres.event_store"): (
        "the bulk import writes with COPY under the event store's own concurrency protocol"
    ),
    ("api.http.app", "api.web"): "the app mounts the web pages beside the HTTP routes",
}
"""(importing module, imported module): why this import runs against the order."""


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> list[Path]:
    return sorted(path for package in TOP_LEVEL_PACKAGES for path in (SRC / package).rglob("*.py"))


def imports_of(path: Path) -> Iterator[Import]:
    """Every absolute or relative import in the module, inside functions and type checks too."""
    importer = module_name(path)
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(importer, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield Import(importer, target, node.lineno)
            # `from api import web` names a module, not an attribute.
            for alias in node.names:
                yield Import(importer, f"{target}.{alias.name}", node.lineno)


def room_of(module: str) -> str | None:
    """The longest ranked prefix of the module; a module directly in `api/` is in `api`."""
    candidates = [room for room in ROOM_RANKS if module == room or module.startswith(room + ".")]
    if not candidates:
        return None
    room = max(candidates, key=len)
    if room == "api" and module.count(".") > 1:
        return None  # a room inside api/ that the order does not place yet
    return room


def our_imports() -> list[Import]:
    return [
        found
        for path in modules()
        for found in imports_of(path)
        if found.imported.split(".")[0] in (*TOP_LEVEL_PACKAGES, "scripts")
    ]


def is_known(found: Import) -> bool:
    return any(
        found.importer == importer
        and (found.imported == imported or found.imported.startswith(imported + "."))
        for importer, imported in KNOWN_UPWARD_IMPORTS
    )


def test_every_module_under_src_sits_in_a_ranked_room() -> None:
    unplaced = [module_name(path) for path in modules() if room_of(module_name(path)) is None]
    unplaced = [name for name in unplaced if name not in TOP_LEVEL_PACKAGES]
    assert unplaced == []


def test_no_module_imports_from_a_room_above_its_own_or_beside_it() -> None:
    wrong = []
    for found in our_imports():
        if found.imported.split(".")[0] == "scripts":
            continue
        source, target = room_of(found.importer), room_of(found.imported)
        if source is None or target is None or source == target:
            continue
        if ROOM_RANKS[target] >= ROOM_RANKS[source] and not is_known(found):
            wrong.append(f"{found.importer}:{found.line} imports {found.imported}")
    assert wrong == []


@pytest.mark.parametrize(
    ("lower", "higher"), [("crm", "projections"), ("crm", "api"), ("projections", "api")]
)
def test_a_lower_package_never_imports_a_higher_one(lower: str, higher: str) -> None:
    wrong = [
        f"{found.importer}:{found.line} imports {found.imported}"
        for found in our_imports()
        if found.importer.split(".")[0] == lower and found.imported.split(".")[0] == higher
    ]
    assert wrong == []


def test_nothing_under_src_imports_scripts() -> None:
    wrong = [
        f"{found.importer}:{found.line} imports {found.imported}"
        for found in our_imports()
        if found.imported.split(".")[0] == "scripts"
    ]
    assert wrong == []


def test_each_known_upward_import_still_happens() -> None:
    happening = {(found.importer, found.imported) for found in our_imports()}
    stale = [
        f"{importer} -> {imported}"
        for importer, imported in KNOWN_UPWARD_IMPORTS
        if not any(
            source == importer and (target == imported or target.startswith(imported + "."))
            for source, target in happening
        )
    ]
    assert stale == [], "the import is gone: remove its entry from KNOWN_UPWARD_IMPORTS"
