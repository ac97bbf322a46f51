"""A real OpenID Connect provider on 127.0.0.1 for the tests (`oidc-provider-mock`), and the
steps a browser takes through it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi.testclient import TestClient
from oidc_provider_mock import run_server_in_thread

CLIENT_ID = "asiakassilma"
CLIENT_SECRET = "client secret of the tests"


@contextmanager
def running_provider(token_lifetime: timedelta = timedelta(hours=1)) -> Iterator[str]:
    """A provider listening on a free local port; yields its issuer URL."""
    with run_server_in_thread(port=0, access_token_max_age=token_lifetime) as server:
        yield f"http://localhost:{server.server_port}"


def set_claims(issuer: str, sub: str, **claims: object) -> None:
    """What the provider says about the user from now on."""
    answer = httpx.put(f"{issuer}/users/{sub}", json=claims, timeout=10)
    assert answer.status_code == 204, answer.text


def authorize_at_provider(authorize_url: str, sub: str) -> str:
    """Sign in at the provider as `sub`; the callback URL (with code and state) it redirects to."""
    answer = httpx.post(authorize_url, data={"sub": sub}, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def sign_in_through_provider(client: TestClient, sub: str) -> Any:
    """The whole round trip of a browser: here, the provider, back here."""
    start = client.get("/ui/sso", follow_redirects=False)
    assert start.status_code == 303, start.text
    callback = urlsplit(authorize_at_provider(start.headers["location"], sub))
    return client.get(f"{callback.path}?{callback.query}", follow_redirects=False)
