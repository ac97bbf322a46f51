"""The web UI's texts: every key in both languages, every key the pages use defined, none unused.

Keys are used two ways: literally (`t("nav.search")` in a template, `"nav.search"` in a page
module) and by family (`t("kind." ~ row.kind)`), where the suffix comes from an enumeration of
the domain: event kinds, event fields, roles, and values of the vocabulary and the read models.
"""

from __future__ import annotations

import ast
import re
import typing
from pathlib import Path
from typing import ClassVar

import pytest
from eventsourcing.domain import Aggregate
from pydantic_core.core_schema import ErrorType

from api.web.customer_edits import PROFILE_FIELDS
from api.web.i18n import LANGUAGES, TEXTS
from crm.application.users import Role
from crm.domain import vocabulary
from crm.domain.events import CUSTOMER_EVENT_CLASSES
from tests.unit.api.web.test_refusal_texts import REFUSALS

SRC = Path(__file__).resolve().parents[4] / "src"
TEMPLATES = sorted((SRC / "api" / "templates").glob("*.html"))
PAGE_MODULES = sorted((SRC / "api" / "web").glob("*.py"))
I18N_MODULE = SRC / "api" / "web" / "i18n.py"

KEY = re.compile(r"^[a-z_]+(\.[A-Za-z0-9_]+)+$")
QUOTED = re.compile(r"""["']([a-z_]+(?:\.[A-Za-z0-9_]+)+)["']""")
TEMPLATE_FAMILY = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_]+)*)\.["']\s*~""")
EVENT_BOOKKEEPING = {"idempotency_key", "recorded_by", "originator_topic"}
"""Event fields the timeline shows under headings of their own, never as `field.<name>`."""
FAMILIES_OF_TRANSLATE_VALUE = {"value"}
"""`translate_value` (the templates' `tv`) looks any vocabulary value up as `value.<value>`."""
FAMILIES_OF_REFUSAL_TEXT = {"refusal"}
"""`refusal_text` looks a refused command up as `refusal.<code>`; `test_refusal_texts` reads
the codes from the source."""
FAMILIES_OF_FIELD_PROBLEM = {"problem", "field"}
"""`field_problem` looks up `problem.<pydantic error type>` and the field's `field.<name>`;
error types without a text of their own read as `problem.invalid`."""


def template_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in TEMPLATES)


def page_string_literals() -> set[str]:
    """Every string constant in the web page modules except the texts' own module."""
    found: set[str] = set()
    for path in PAGE_MODULES:
        if path == I18N_MODULE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def keys_used_literally() -> set[str]:
    """Keys named in full in a template (`t("nav.search")`, or a label handed to `t` later) or
    in a page module: quoted text shaped like a key of a known family, template names aside."""
    families = {key.split(".", 1)[0] for key in TEXTS}
    template_names = {path.name for path in TEMPLATES}
    candidates = set(QUOTED.findall(template_text())) | page_string_literals()
    return {
        text
        for text in candidates
        if KEY.match(text) and text.split(".", 1)[0] in families and text not in template_names
    }


def families_used() -> set[str]:
    """Key prefixes the templates complete at run time (`t("kind." ~ kind)`)."""
    return (
        set(TEMPLATE_FAMILY.findall(template_text()))
        | FAMILIES_OF_TRANSLATE_VALUE
        | FAMILIES_OF_FIELD_PROBLEM
        | FAMILIES_OF_REFUSAL_TEXT
    )


def quoted_strings_in_src() -> str:
    """The source outside the texts' module, where read models spell their values (also SQL)."""
    return "\n".join(
        path.read_text(encoding="utf-8") for path in SRC.rglob("*.py") if path != I18N_MODULE
    )


def family_members() -> dict[str, set[str]]:
    """The suffixes each key family can be asked for, from the domain's own enumerations."""
    fields: set[str] = set()
    for event_class in CUSTOMER_EVENT_CLASSES:
        hints = typing.get_type_hints(event_class)
        fields |= {name for name, hint in hints.items() if typing.get_origin(hint) is not ClassVar}
    fields -= set(typing.get_type_hints(Aggregate.Event)) | EVENT_BOOKKEEPING
    vocabulary_values = {
        value
        for name in dir(vocabulary)
        if name.isupper() and isinstance(getattr(vocabulary, name), tuple)
        for value in getattr(vocabulary, name)
    }
    return {
        "kind": {event_class.kind() for event_class in CUSTOMER_EVENT_CLASSES},
        "field": fields,
        "role": {role.value for role in Role},
        "value": vocabulary_values,
        "customer": set(PROFILE_FIELDS),
        "problem": set(typing.get_args(ErrorType)) | {"invalid"},
        "refusal": {refusal.code for refusal in REFUSALS if refusal.code},
    }


def is_used(key: str, literal: set[str], families: set[str], source: str) -> bool:
    if key in literal:
        return True
    family, _, suffix = key.rpartition(".")
    if family not in families:
        return False
    members = family_members().get(family, set())
    # Values the read models compute (lifecycle stages, lead states) are spelt in their code.
    return suffix in members or f"'{suffix}'" in source or f'"{suffix}"' in source


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_key_has_a_text_in_each_language(key: str) -> None:
    texts = TEXTS[key]
    assert len(texts) == len(LANGUAGES) == 2
    assert all(text.strip() for text in texts), key


def test_every_key_a_template_or_page_names_is_defined() -> None:
    literal = keys_used_literally()
    assert literal, "no keys found: the patterns no longer match the templates"
    assert sorted(literal - set(TEXTS)) == []


def test_every_key_family_the_templates_complete_has_a_key_per_member() -> None:
    members = family_members()
    families = families_used()
    assert {"kind", "field", "role"} <= families
    missing = [
        f"{family}.{suffix}"
        # Families completed from an enumeration of the domain; others (`request.kind.`) are
        # checked the other way round, by `test_no_key_is_left_unused`.
        for family in sorted(
            (families & members.keys()) - FAMILIES_OF_TRANSLATE_VALUE - {"problem"}
        )
        for suffix in sorted(members[family])
        if f"{family}.{suffix}" not in TEXTS
    ]
    assert missing == []


def test_no_key_is_left_unused() -> None:
    literal = keys_used_literally()
    families = families_used()
    source = quoted_strings_in_src()
    unused = [key for key in TEXTS if not is_used(key, literal, families, source)]
    assert unused == []
