"""Every integer a client can send is bounded, so none reaches PostgreSQL beyond `bigint`.

The check enumerates every route's parameters and request bodies (the web UI's included):
a new route with an unbounded `offset`, `version` or log position fails here, not as a 500
from the database the first time someone pages too far.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any, Union, get_args, get_origin

import annotated_types
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from api.bootstrap.wiring import Services
from api.http.parameters import BIGINT_MAX
from crm.application.users import Role
from tests.api.web_client import new_user, sign_in
from tests.pages import endpoints

pytestmark = pytest.mark.postgres


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for inner in dependant.dependencies:
        yield from _dependants(inner)


def _is_integer(annotation: Any) -> bool:
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_integer(arm) for arm in get_args(annotation))
    return False


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arm in get_args(annotation):
        yield from _models(arm)


def _has_upper_bound(info: FieldInfo) -> bool:
    return any(
        isinstance(rule, annotated_types.Le | annotated_types.Lt) and rule_value(rule) <= BIGINT_MAX
        for rule in info.metadata
    )


def rule_value(rule: annotated_types.Le | annotated_types.Lt) -> Any:
    return rule.le if isinstance(rule, annotated_types.Le) else rule.lt


def _unbounded_in_model(model: type[BaseModel], where: str, seen: set[type]) -> Iterator[str]:
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        if _is_integer(info.annotation) and not _has_upper_bound(info):
            yield f"{where} {model.__name__}.{name}"
        for inner in _models(info.annotation):
            yield from _unbounded_in_model(inner, where, seen)


def unbounded_integers(app: FastAPI) -> list[str]:
    """Every integer input of every route without an upper bound within `bigint`."""
    found: list[str] = []
    for method, path, route in endpoints(app):
        where = f"{method} {path}"
        for dependant in _dependants(route.dependant):
            fields = (
                *dependant.path_params,
                *dependant.query_params,
                *dependant.header_params,
                *dependant.cookie_params,
                *dependant.body_params,
            )
            for field in fields:
                info = field.field_info
                if _is_integer(info.annotation) and not _has_upper_bound(info):
                    found.append(f"{where} {field.name}")
                for model in _models(info.annotation):
                    found.extend(_unbounded_in_model(model, where, set()))
    return found


def test_every_integer_a_route_accepts_has_an_upper_bound(app: FastAPI) -> None:
    assert unbounded_integers(app) == []


def test_the_check_finds_an_unbounded_integer_parameter() -> None:
    probe = FastAPI()

    @probe.get("/probe")
    def read(offset: int = 0) -> int:
        return offset

    assert unbounded_integers(probe) == ["GET /probe offset"]


@pytest.mark.parametrize(
    "path",
    [
        f"/tasks?offset={BIGINT_MAX + 1}",
        f"/customers/00000000-0000-0000-0000-000000000001/indicators?after={BIGINT_MAX + 1}",
        f"/privacy/consent-audit?offset={BIGINT_MAX + 1}",
    ],
)
def test_an_offset_or_position_beyond_bigint_is_refused_naming_it(
    client: TestClient, as_role: dict[Role, dict[str, str]], path: str
) -> None:
    role = Role.DPO if path.startswith("/privacy") else Role.ACCOUNT_MANAGER
    response = client.get(path, headers=as_role[role])
    assert response.status_code == 422, response.text
    named = {tuple(error["loc"])[-1] for error in response.json()["detail"]}
    assert named & {"offset", "after"}


def test_a_hand_edited_page_link_far_past_the_end_shows_an_empty_page(
    app: FastAPI, services: Services
) -> None:
    with sign_in(app, new_user(services, Role.ACCOUNT_MANAGER)) as client:
        response = client.get(f"/ui/tasks?offset={BIGINT_MAX + 1}")
    assert response.status_code == 200
