"""The README's layout map ("How it works") and the source tree name the same folders.

The map is how a newcomer finds a rule's home; a package added without a line there, or a
line left behind by a move, would mislead. Each line of the map that starts with a folder
(`name/`) names it, nested by indentation under the folder above it.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
INDENT = 2


def layout_map(readme: str) -> list[str]:
    """The folders the first code block under "## How it works" names, as paths."""
    section = readme.split("## How it works", 1)[1]
    block = section.split("```", 2)[1]
    folders: list[str] = []
    parents: list[str] = []
    for line in block.splitlines():
        stripped = line.strip()
        first = stripped.split(maxsplit=1)[0] if stripped else ""
        depth = (len(line) - len(line.lstrip())) // INDENT
        if not first.endswith("/") or depth > len(parents):
            continue  # a continuation line describes the folder above it
        parents = [*parents[:depth], first.rstrip("/")]
        folders.append("/".join(parents))
    return folders


def python_packages() -> set[str]:
    return {
        str(init.parent.relative_to(ROOT))
        for top in ("src", "scripts")
        for init in (ROOT / top).rglob("__init__.py")
    }


def test_the_map_parses_nesting() -> None:
    readme = "## How it works\n\n```\nsrc/crm/    write\n  domain/   rules\n    sub/  x\n"
    readme += "  application/ use cases,\n              more words\nscripts/bench/ b\n```\n"
    assert layout_map(readme) == [
        "src/crm",
        "src/crm/domain",
        "src/crm/domain/sub",
        "src/crm/application",
        "scripts/bench",
    ]


def test_every_package_is_on_the_map_and_every_mapped_folder_exists() -> None:
    mapped = set(layout_map((ROOT / "README.md").read_text(encoding="utf-8")))
    packages = python_packages() - {"src/crm", "src/projections", "src/api", "scripts"}
    assert sorted(packages - mapped) == [], "packages the README's layout map does not name"
    assert sorted(f for f in mapped if not (ROOT / f).is_dir()) == [], "mapped but missing"
