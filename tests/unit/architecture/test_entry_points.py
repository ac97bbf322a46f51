"""Entry points only translate: no module of the routes, pages, CLI or worker holds SQL.

Every module under those packages is scanned, so a new route or job cannot slip past; SQL
belongs to the adapters (`crm/adapters/postgres`) and the read models (`projections/`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src"
ENTRY_POINT_PACKAGES = ("api/http/routes", "api/web", "api/cli", "api/worker")
SQL_TEXT = re.compile(
    r"\b(SELECT\s|INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|"
    r"(CREATE|ALTER|DROP|TRUNCATE)\s+(TABLE|INDEX|VIEW)|COPY\s+\S+\s+(FROM|TO))"
)
DATABASE_HANDLES = frozenset({"connection", "cursor", "transaction"})
"""Methods that hand out a database connection, cursor or transaction."""
STATEMENT_RUNNERS = frozenset({"execute", "executemany", "query", "copy"})
"""Methods that run a statement when given its text."""


def entry_point_modules() -> list[Path]:
    return sorted(
        path for package in ENTRY_POINT_PACKAGES for path in (SRC / package).rglob("*.py")
    )


def sql_found(source: str) -> list[str]:
    """Where the source writes SQL or reaches for a database connection, as `line: what`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL_TEXT.search(node.value):
                found.append(f"{node.lineno}: SQL text {node.value[:40]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method in DATABASE_HANDLES:
                found.append(f"{node.lineno}: .{method}()")
            elif method in STATEMENT_RUNNERS and node.args:
                first = node.args[0]
                if isinstance(first, ast.JoinedStr | ast.BinOp) or (
                    isinstance(first, ast.Constant) and isinstance(first.value, str)
                ):
                    found.append(f"{node.lineno}: .{method}() of a statement")
    return found


def test_every_entry_point_package_has_modules_to_check() -> None:
    for package in ENTRY_POINT_PACKAGES:
        assert list((SRC / package).rglob("*.py")), f"{package} moved; update this guard"


@pytest.mark.parametrize(
    "module", entry_point_modules(), ids=lambda path: str(path.relative_to(SRC))
)
def test_no_entry_point_module_holds_sql(module: Path) -> None:
    assert sql_found(module.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        'with services.pool.connection(timeout=2) as conn:\n    conn.execute("SELECT 1")\n',
        'rows = view.query("SELECT customer_id FROM {p}customers WHERE erased")\n',
        'cursor.execute(f"DELETE FROM {table} WHERE id = %s", (1,))\n',
        'STATEMENT = "UPDATE api_users SET role = %s"\n',
    ],
)
def test_the_guard_recognises_sql_as_routes_and_jobs_used_to_write_it(source: str) -> None:
    assert sql_found(source)


def test_the_guard_lets_application_calls_through() -> None:
    source = (
        "recorded = services.crm.execute(command)\n"
        "report = services.import_log.get(import_id)\n"
        'console.print("Select a view to rebuild")\n'
    )
    assert sql_found(source) == []
