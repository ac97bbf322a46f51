"""Malformed input fuzzing: schemathesis against every endpoint of the OpenAPI schema, once per
role, each role on the endpoints the permission matrix lets it reach."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation, BaseSchema

from api.bootstrap.embedded_database import drop_database, ensure_database, with_database
from api.bootstrap.wiring import Services, build_services
from api.http.app import create_app
from api.permissions import ENDPOINT_PERMISSIONS, PUBLIC_PATHS, roles_with
from crm.application.users import Role
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres
EXAMPLES_PER_ROLE = int(os.environ.get("CRM_FUZZ_EXAMPLES", "150"))
"""The run-time budget: generated requests per role, shared by the endpoints it can reach
(`CRM_FUZZ_EXAMPLES=5000` for a deeper search before a release)."""
MIN_EXAMPLES_PER_ENDPOINT = 2


def operations_of(schema: BaseSchema) -> list[APIOperation[Any, Any, Any, Any]]:
    """Every operation of the schema; an operation the schema describes wrongly fails the test."""
    found: list[APIOperation[Any, Any, Any, Any]] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        found.append(result.ok())
    return found


def reachable_by(role: Role, method: str, path: str) -> bool:
    """Whether the matrix lets the role through to the endpoint (public paths let everyone)."""
    if path in PUBLIC_PATHS:
        return True
    key = (method.upper(), path)
    return key in ENDPOINT_PERMISSIONS and role in roles_with(ENDPOINT_PERMISSIONS[key])


@pytest.fixture(scope="module")
def fuzzed(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """Services on a database of their own: generated data must not reach other tests' views."""
    name = f"crm_fuzz_{uuid.uuid4().hex[:8]}"
    maintenance = with_database(server_url, "postgres")
    url = ensure_database(maintenance, name)
    # Reads wait only briefly for positions that will never come.
    built = build_services(
        make_settings(
            url,
            Path(tmp_path_factory.mktemp("fuzz")),
            read_wait_timeout=0.05,
            run_projections=False,
        )
    )
    yield built
    built.close()
    drop_database(maintenance, name)


def test_every_endpoint_of_the_schema_is_fuzzed_for_some_role(fuzzed: Services) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(services=fuzzed))
    operations = operations_of(schema)
    unreached = [
        f"{op.method.upper()} {op.path}"
        for op in operations
        if not any(reachable_by(role, op.method, op.path) for role in Role)
    ]
    assert operations
    assert not unreached


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_no_endpoint_a_role_reaches_answers_generated_input_with_a_server_error(
    fuzzed: Services, role: Role
) -> None:
    app = create_app(services=fuzzed)
    app.state.services = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    token = fuzzed.users.add(f"fuzz-{uuid.uuid4().hex[:6]}", role)
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    every_operation = operations_of(schema)
    operations = [op for op in every_operation if reachable_by(role, op.method, op.path)]
    assert operations, role
    examples = max(MIN_EXAMPLES_PER_ENDPOINT, EXAMPLES_PER_ROLE // len(operations))

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            response = case.call(headers=headers)
            # 503 with Retry-After is the documented "not visible yet, retry" answer.
            retry_hint = any(name.lower() == "retry-after" for name in response.headers)
            deliberate = response.status_code == 503 and retry_hint
            if response.status_code >= 500 and not deliberate:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]}"
                )

        call()
    assert not failures, "\n".join(failures)
