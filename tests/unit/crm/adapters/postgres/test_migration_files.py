"""The migration files: numbered 1, 2, 3 … and loaded in that order."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm.adapters.postgres.migrations import MigrationFilesError, load_migrations


def write(folder: Path, *names: str) -> Path:
    for name in names:
        (folder / name).write_text(f"SELECT '{name}'", encoding="utf-8")
    return folder


def test_the_shipped_migrations_start_with_the_schema_of_the_release_before_them() -> None:
    first = load_migrations()[0]
    assert (first.version, first.name) == (1, "initial_schema")
    assert "CREATE TABLE IF NOT EXISTS customer_data_keys" in first.sql


def test_migrations_load_in_version_order_whatever_order_the_folder_lists(
    tmp_path: Path,
) -> None:
    folder = write(tmp_path, "0010_tenth.sql", "0002_second.sql", "0001_first.sql")
    for version in range(3, 10):
        write(folder, f"{version:04d}_step.sql")
    assert [m.version for m in load_migrations(folder)] == list(range(1, 11))
    assert load_migrations(folder)[9].sql == "SELECT '0010_tenth.sql'"


@pytest.mark.parametrize(
    "names",
    [
        ("0001_first.sql", "0003_third.sql"),
        ("0001_first.sql", "0001_again.sql"),
        ("0002_second.sql",),
    ],
)
def test_a_gap_or_a_repeated_number_is_refused(tmp_path: Path, names: tuple[str, ...]) -> None:
    with pytest.raises(MigrationFilesError):
        load_migrations(write(tmp_path, *names))


def test_files_not_named_as_migrations_are_left_out(tmp_path: Path) -> None:
    folder = write(tmp_path, "0001_first.sql", "README.md", "0002-draft.sql")
    assert [m.name for m in load_migrations(folder)] == ["first"]
