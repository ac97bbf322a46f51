"""One request model per touchpoint kind, generated from the event classes themselves.

The event classes in `crm.events` are the single source of the fields; this module adds the
HTTP concerns (a `kind` discriminator, lengths, vocabularies, defaults) so the OpenAPI schema
documents every kind and the two can never drift apart.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, create_model

from crm.domain.customer import CHOICES
from crm.domain.events import TOUCHPOINT_CLASSES, EventField, Touchpoint


class TouchpointBase(BaseModel):
    """Fields every touchpoint has."""

    model_config = ConfigDict(extra="forbid")

    occurred_at: AwareDatetime | None = Field(
        default=None, description="When it happened (business time, with time zone); now if unset."
    )
    institution: Literal["TAMK", "TTY", "TaY", "joint"] = "joint"
    channel: str = Field(default="other", description="Channel the contact came through.")
    notes: str | None = Field(default=None, max_length=5000, description="Free text (personal).")
    idempotency_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="A retried request with the same key stores nothing new.",
    )


def _field_type(field: EventField) -> Any:
    name, annotation = field.name, field.annotation
    choices = CHOICES.get(name)
    if choices is not None:
        base: Any = Literal[choices]
    elif annotation in (Decimal, Decimal | None):
        base = Annotated[Decimal, Field(max_digits=14, decimal_places=2, ge=0)]
    elif annotation in (int, int | None) and name == "score":
        base = Annotated[int, Field(ge=0, le=10)]
    elif annotation in (date, date | None):
        base = date
    else:
        base = Annotated[str, Field(min_length=1, max_length=500)]
    return (base, ...) if field.required else (base | None, None)


def _model_for(cls: type[Touchpoint]) -> type[BaseModel]:
    # Notes come with `TouchpointBase`.
    own = {f.name: _field_type(f) for f in cls.own_fields() if f.name != "notes"}
    channel_choices = CHOICES["channel"]
    model: type[BaseModel] = create_model(
        f"{cls.__name__}In",
        __base__=TouchpointBase,
        __doc__=cls.__doc__ or cls.__name__,
        kind=(Literal[cls.kind()], ...),  # type: ignore[arg-type]
        channel=(Literal[channel_choices], "other"),  # type: ignore[arg-type]
        **own,
    )
    return model


TOUCHPOINT_MODELS: dict[str, type[BaseModel]] = {
    cls.kind(): _model_for(cls) for cls in TOUCHPOINT_CLASSES
}
if TYPE_CHECKING:
    TouchpointIn = TouchpointBase
else:
    TouchpointIn = Annotated[
        Union[tuple(TOUCHPOINT_MODELS.values())],  # noqa: UP007
        Field(discriminator="kind"),
    ]
