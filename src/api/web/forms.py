"""Forms: the record-a-touchpoint form's fields (derived from the request models), its
parsing, the Finnish date and time formats every form accepts, and field errors in the UI's
language."""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin
from uuid import uuid4

from pydantic import BaseModel, ValidationError

from api.http.touchpoint_schemas import TOUCHPOINT_MODELS
from api.web.i18n import TEXTS, field_problem, translate, translate_value
from crm.domain.calendar import HELSINKI, local_text
from crm.domain.errors import InvalidFieldError, RuleViolationError
from crm.domain.idempotency import scoped_key

if TYPE_CHECKING:
    from api.bootstrap.wiring import Services
    from crm.application.users import User

LINK_POSITION_MAX = 2**40
"""Offsets and page numbers in a page's links stop here: far past any list's end, and far
below the database's integers however a page size multiplies them."""

COMMON_FIELDS = ("occurred_at", "institution", "channel")
NOT_SHOWN = ("kind", "idempotency_key", *COMMON_FIELDS, "notes")
DEFAULT_KIND = "phone_call_made"


def form_key(services: Services, user: User, form: Mapping[str, str]) -> str:
    """The stored idempotency key of a form submission: the page's hidden one-time token,
    scoped to the user as client keys are (`crm.domain.idempotency`), never stored as typed.

    A form sent twice (a double click, a reload) is one write. The token alone is the key, not
    the fields with it, so a repeat is recognised even when the browser resends edited fields.
    A form without a token is never a repeat.
    """
    token = form.get("idempotency_key") or str(uuid4())
    return scoped_key(services.crm.identities.blind_index_key, user.name, token, {})


def link_position(text: str | None, default: int) -> int:
    """An offset or page number from a page's query string: a whole number up to
    `LINK_POSITION_MAX`, else `default` (a hand-edited link shows the first page, never an
    error page; one past the end shows an empty page that says so)."""
    if text and text.isdigit() and int(text) <= LINK_POSITION_MAX:
        return int(text)
    return default


@dataclass(frozen=True)
class FormField:
    """One input of the form: its name, widget and constraints."""

    name: str
    widget: Literal["select", "text", "textarea", "number", "date", "datetime-local"]
    required: bool
    choices: tuple[str, ...] = ()
    step: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    default: str = ""


FINNISH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
FINNISH_TIME = re.compile(r"^(?:klo\s*)?(\d{1,2})[.:](\d{2})$")


def parse_local_date(text: str) -> date:
    """A day written the Finnish way ("1.12.2027") or as ISO ("2027-12-01")."""
    text = text.strip()
    found = FINNISH_DATE.match(text)
    if found:
        day, month, year = (int(part) for part in found.groups())
        return date(year, month, day)
    return date.fromisoformat(text)


def parse_local_datetime(text: str) -> datetime:
    """A moment in Finnish time: "1.12.2027 14.30", "1.12.2027 klo 14:30", "1.12.2027" (its
    midnight) or ISO ("2027-12-01T14:30"); an explicit offset in ISO input is kept."""
    text = text.strip()
    day_text, _, time_text = text.partition(" ")
    if FINNISH_DATE.match(day_text):
        moment = time()
        if time_text.strip():
            found = FINNISH_TIME.match(time_text.strip())
            if not found:
                raise ValueError(f"not a time: {time_text!r}")
            moment = time(int(found.group(1)), int(found.group(2)))
        return datetime.combine(parse_local_date(day_text), moment, HELSINKI)
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=HELSINKI)


def field_problems(language: str, errors: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Pydantic's errors as one text per field, in the language, naming the field."""
    problems: dict[str, str] = {}
    for item in errors:
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "query")]
        field = location[0] if location else "kind"
        problems.setdefault(
            field, field_problem(language, field, str(item.get("type")), item.get("ctx"))
        )
    return problems


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        return next(a for a in get_args(annotation) if a is not type(None))
    return annotation


def _field(name: str, model: type[BaseModel]) -> FormField:
    info = model.model_fields[name]
    annotation = _unwrap_optional(info.annotation)
    required = info.is_required()
    max_length = next((m.max_length for m in info.metadata if hasattr(m, "max_length")), None)
    if get_origin(annotation) is Literal:
        default = info.default if isinstance(info.default, str) else ""
        return FormField(
            name, "select", required or bool(default), tuple(get_args(annotation)), default=default
        )
    if annotation is date:
        return FormField(name, "date", required)
    if annotation is Decimal:
        return FormField(name, "number", required, step="0.01", minimum=0)
    if annotation is int:
        return FormField(name, "number", required, step="1", minimum=0, maximum=10)
    return FormField(name, "text", required, max_length=max_length)


def form_fields(kind: str) -> list[FormField]:
    """The common fields, then the kind's own fields, then the notes."""
    model = TOUCHPOINT_MODELS[kind]
    common = [
        FormField("occurred_at", "datetime-local", False),
        _field("institution", model),
        _field("channel", model),
    ]
    own = [_field(name, model) for name in model.model_fields if name not in NOT_SHOWN]
    return [*common, *own, FormField("notes", "textarea", False, max_length=5000)]


def parse_touchpoint(
    kind: str, form: dict[str, str], language: str
) -> tuple[BaseModel | None, dict[str, str]]:
    """The validated touchpoint, or None and a problem per field name (in the language)."""
    model = TOUCHPOINT_MODELS[kind]
    data: dict[str, Any] = {"kind": kind}
    errors: dict[str, str] = {}
    for name, info in model.model_fields.items():
        value = form.get(name, "").strip()
        if name == "kind" or not value:
            continue
        data[name] = value
        if name == "occurred_at":
            parse: Any = parse_local_datetime
        elif _unwrap_optional(info.annotation) is date:
            parse = parse_local_date
        else:
            continue
        try:
            data[name] = parse(value)
        except ValueError:
            problem = "datetime_parsing" if parse is parse_local_datetime else "date_parsing"
            errors[name] = field_problem(language, name, problem)
            del data[name]
    try:
        touchpoint = model.model_validate(data)
    except ValidationError as error:
        return None, {**field_problems(language, error.errors()), **errors}
    if errors:
        return None, errors
    return touchpoint, {}


def domain_field_error(error: InvalidFieldError) -> dict[str, Any]:
    """A field the domain refused, in pydantic's error shape, for `field_problems`."""
    return {"loc": (error.field,), "type": "value_error", "ctx": {"error": error.problem}}


def refusal_text(language: str, error: RuleViolationError) -> str:
    """A refused command in the language (`refusal.<code>`), its moments in Finnish time and
    its vocabulary values translated; the domain's English text only for a code without one."""
    key = f"refusal.{error.code}"
    if key not in TEXTS:
        return str(error)
    values = {
        name: local_text(value, language) if isinstance(value, datetime | date)
        else translate_value(language, value)
        for name, value in error.params.items()
    }  # fmt: skip
    return translate(language, key).format(**values)
