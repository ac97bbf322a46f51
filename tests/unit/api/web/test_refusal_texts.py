"""Every refusal the domain can raise has a text in each language, with the same placeholders
as the values the refusal carries: found by reading every `raise` of a rule violation in
`src/`, so a new refusal cannot reach a Finnish page in English."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.web.forms import refusal_text
from api.web.i18n import TEXTS
from crm.domain.errors import ConsentRequiredError, RuleViolationError

SRC = Path(__file__).resolve().parents[4] / "src"


def rule_violations() -> dict[str, bool]:
    """Every subclass of RuleViolationError by name (its modules imported first), and whether
    it builds its code itself in an `__init__` of its own."""
    for package in ("crm", "projections", "api"):
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            importlib.import_module(info.name)
    found: dict[str, bool] = {}
    pending: list[type] = list(RuleViolationError.__subclasses__())
    while pending:
        cls = pending.pop()
        found[cls.__name__] = "__init__" in vars(cls)
        pending.extend(cls.__subclasses__())
    return found


@dataclass(frozen=True)
class Refusal:
    where: str
    code: str | None
    params: frozenset[str]


def _refusal(path: Path, call: ast.Call) -> Refusal:
    keywords = {k.arg: k.value for k in call.keywords if k.arg is not None}
    code = keywords.pop("code", None)
    literal = code.value if isinstance(code, ast.Constant) and isinstance(code.value, str) else None
    return Refusal(f"{path.relative_to(SRC)}:{call.lineno}", literal, frozenset(keywords))


def refusals() -> list[Refusal]:
    """Every construction of a rule violation in the source: `raise Name(...)` of a subclass,
    or, for a subclass that builds its code itself, the `__init__` calls in its body."""
    names = rule_violations()
    found: list[Refusal] = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                if isinstance(func, ast.Name) and names.get(func.id) is False:
                    found.append(_refusal(path, node.exc))
            if isinstance(node, ast.ClassDef) and names.get(node.name):
                for inner in ast.walk(node):
                    if (
                        isinstance(inner, ast.Call)
                        and isinstance(inner.func, ast.Attribute)
                        and inner.func.attr == "__init__"
                    ):
                        found.append(_refusal(path, inner))
    return found


REFUSALS = refusals()


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_source_is_read() -> None:
    codes = {refusal.code for refusal in REFUSALS}
    assert {"lead_stage", "merge_self", "consent", "segment_name_taken"} <= codes


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda refusal: refusal.where)
def test_every_refusal_has_a_literal_code_with_texts_that_fill_from_its_values(
    refusal: Refusal,
) -> None:
    assert refusal.code is not None, "give the refusal a literal code= for its texts"
    finnish, english = TEXTS[f"refusal.{refusal.code}"]
    assert placeholders(finnish) == placeholders(english) == set(refusal.params)


def test_a_refusal_reads_in_finnish_with_its_values_translated() -> None:
    from crm.domain.errors import LeadTransitionError

    error = LeadTransitionError("x", code="lead_stage", stage="qualified", target="converted")
    assert refusal_text("fi", error) == (
        'Liidi on vaiheessa "hyväksytty", joten sitä ei voi siirtää vaiheeseen "kauppa".'
    )
    assert refusal_text("en", error) == "The lead is qualified, so it cannot become converted."


def test_a_consent_refusal_names_the_moment_in_finnish_time() -> None:
    error = ConsentRequiredError("newsletter", datetime(2026, 1, 5, 10, 0, tzinfo=UTC))
    assert "5.1.2026 12.00" in refusal_text("fi", error)
