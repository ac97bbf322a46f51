"""The record-a-touchpoint form: its fields, derived from the request models, and its parsing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from api.http.touchpoint_schemas import TOUCHPOINT_MODELS
from crm.domain.calendar import HELSINKI

COMMON_FIELDS = ("occurred_at", "institution", "channel")
NOT_SHOWN = ("kind", "idempotency_key", *COMMON_FIELDS, "notes")
DEFAULT_KIND = "phone_call_made"


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


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) is Union:
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


def parse_touchpoint(kind: str, form: dict[str, str]) -> tuple[BaseModel | None, dict[str, str]]:
    """The validated touchpoint, or None and a problem per field name."""
    model = TOUCHPOINT_MODELS[kind]
    data: dict[str, Any] = {"kind": kind}
    errors: dict[str, str] = {}
    for name in model.model_fields:
        value = form.get(name, "").strip()
        if name == "kind" or not value:
            continue
        data[name] = value
    if "occurred_at" in data:
        try:
            # The form's local time is Finnish time.
            data["occurred_at"] = datetime.fromisoformat(data["occurred_at"]).replace(
                tzinfo=HELSINKI
            )
        except ValueError:
            errors["occurred_at"] = "invalid"
            del data["occurred_at"]
    try:
        touchpoint = model.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            location = [str(part) for part in item["loc"]]
            errors.setdefault(location[0] if location else "kind", item["msg"])
        return None, errors
    if errors:
        return None, errors
    return touchpoint, {}
