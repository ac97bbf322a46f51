"""Single sign-on through a real OpenID Connect provider running on 127.0.0.1: roles from the
provider's claim, users created on first sign-in and revoked when no role is granted any more,
and ID tokens that are tampered with, meant for another client or expired refused."""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.bootstrap.settings import Settings
from api.bootstrap.wiring import Services
from api.http.app import create_app
from api.services.single_sign_on import OpenIdProvider, SingleSignOnError
from api.web.i18n import translate
from crm.application.users import Role
from tests.api.web_client import page_csrf
from tests.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    authorize_at_provider,
    running_provider,
    set_claims,
    sign_in_through_provider,
)

pytestmark = pytest.mark.postgres
START_PAGE = {
    Role.ACCOUNT_MANAGER: "/ui/my-customers",
    Role.MARKETING: "/ui/segments",
    Role.DPO: "/ui/privacy/consent-audit",
    Role.ADMIN: "/ui/admin/users",
    Role.FINANCE: "/ui/finance",
}


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with running_provider() as url:
        yield url


def sso_settings(settings: Settings, issuer: str, client_id: str = CLIENT_ID) -> Settings:
    return settings.model_copy(
        update={
            "oidc_issuer": issuer,
            "oidc_client_id": client_id,
            "oidc_client_secret": SecretStr(CLIENT_SECRET),
            "oidc_roles_claim": "roles",
            "oidc_role_map": {"crm-dpo": "dpo", "Tampere3 markkinointi": "marketing"},
        }
    )


@pytest.fixture(scope="module")
def sso_app(services: Services, issuer: str) -> FastAPI:
    changed = dataclasses.replace(services, settings=sso_settings(services.settings, issuer))
    app = create_app(services=changed)
    app.state.services = changed
    return app


def new_sub(issuer: str, roles: list[str]) -> tuple[str, str]:
    sub = uuid.uuid4().hex
    name = f"sso-{sub[:8]}@tuni.fi"
    set_claims(issuer, sub, preferred_username=name, roles=roles)
    return sub, name


@pytest.mark.parametrize("role", list(Role))
def test_each_role_signs_in_through_the_provider_and_is_created_on_first_sign_in(
    sso_app: FastAPI, services: Services, issuer: str, role: Role
) -> None:
    sub, name = new_sub(issuer, [role.value])
    assert services.users.by_name(name) is None
    client = TestClient(sso_app, follow_redirects=False)
    answer = sign_in_through_provider(client, sub)
    assert answer.status_code == 303 and answer.headers["location"] == "/ui"
    assert services.users.by_name(name) == services.users.by_name(name) is not None
    user = services.users.by_name(name)
    assert user is not None and user.role == role
    assert client.get(START_PAGE[role]).status_code == 200


def test_the_role_map_translates_the_providers_groups(
    sso_app: FastAPI, services: Services, issuer: str
) -> None:
    sub, name = new_sub(issuer, ["crm-dpo", "someone else's group"])
    assert sign_in_through_provider(TestClient(sso_app), sub).status_code == 303
    user = services.users.by_name(name)
    assert user is not None and user.role == Role.DPO


def test_a_role_claim_that_changes_changes_the_role_and_ends_other_sessions(
    sso_app: FastAPI, services: Services, issuer: str
) -> None:
    sub, name = new_sub(issuer, ["marketing"])
    first = TestClient(sso_app, follow_redirects=False)
    sign_in_through_provider(first, sub)
    set_claims(issuer, sub, preferred_username=name, roles=["Tampere3 markkinointi", "dpo"])
    second = TestClient(sso_app, follow_redirects=False)
    sign_in_through_provider(second, sub)
    user = services.users.by_name(name)
    assert user is not None and user.role == Role.DPO, "the DPO role outranks marketing"
    assert first.get("/ui/segments").status_code == 401, "the marketing session ended"
    assert second.get("/ui/privacy/consent-audit").status_code == 200


def test_a_user_whose_role_claim_is_removed_is_revoked(
    sso_app: FastAPI, services: Services, issuer: str
) -> None:
    sub, name = new_sub(issuer, ["account_manager"])
    earlier = TestClient(sso_app, follow_redirects=False)
    sign_in_through_provider(earlier, sub)
    assert earlier.get("/ui/my-customers").status_code == 200
    set_claims(issuer, sub, preferred_username=name)
    later = TestClient(sso_app, follow_redirects=False)
    later.cookies.set("crm_lang", "en")
    refused = sign_in_through_provider(later, sub)
    assert refused.status_code == 403
    assert translate("en", "login.sso_no_role").split("'")[0] in refused.text
    assert services.users.by_name(name) is None, "revoked"
    assert earlier.get("/ui/my-customers").status_code == 401, "and signed out everywhere"


def test_a_forged_state_is_refused(sso_app: FastAPI, issuer: str) -> None:
    sub, _ = new_sub(issuer, ["marketing"])
    client = TestClient(sso_app, follow_redirects=False)
    start = client.get("/ui/sso")
    callback = urlsplit(authorize_at_provider(start.headers["location"], sub))
    code = parse_qs(callback.query)["code"][0]
    answer = client.get("/ui/sso/callback", params={"code": code, "state": "forged"})
    assert answer.status_code == 401
    assert client.get("/ui/segments").status_code == 401


def test_the_request_uses_pkce_with_s256(sso_app: FastAPI) -> None:
    start = TestClient(sso_app, follow_redirects=False).get("/ui/sso")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["client_id"] == [CLIENT_ID] and "nonce" in query and "state" in query


def test_signing_out_ends_the_session_here_and_goes_to_the_provider(
    sso_app: FastAPI, issuer: str
) -> None:
    sub, _ = new_sub(issuer, ["marketing"])
    client = TestClient(sso_app, follow_redirects=False)
    sign_in_through_provider(client, sub)
    thief = TestClient(sso_app, follow_redirects=False)
    thief.cookies.set("crm_session", client.cookies["crm_session"])
    out = client.post("/ui/logout", data={"csrf_token": page_csrf(client)})
    assert out.status_code == 303
    assert out.headers["location"].startswith(f"{issuer}/oauth2/end_session?")
    assert "post_logout_redirect_uri" in out.headers["location"]
    assert thief.get("/ui/segments").status_code == 401


def id_token_for(issuer: str, client_id: str, sub: str, nonce: str) -> str:
    """A real ID token from the provider for the client (the code flow, without a browser)."""
    provider = OpenIdProvider(sso_settings(Settings(), issuer, client_id))
    request = provider.sign_in_request("http://testserver/ui/sso/callback")
    authorize = request.url.replace(request.nonce, nonce)
    callback = urlsplit(authorize_at_provider(authorize, sub))
    code = parse_qs(callback.query)["code"][0]
    token = httpx.post(
        provider.metadata()["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://testserver/ui/sso/callback",
            "client_id": client_id,
            "client_secret": CLIENT_SECRET,
            "code_verifier": request.code_verifier,
        },
        timeout=10,
    ).json()
    return str(token["id_token"])


def test_a_genuine_id_token_is_accepted(issuer: str) -> None:
    sub, name = new_sub(issuer, ["dpo"])
    provider = OpenIdProvider(sso_settings(Settings(), issuer))
    claims = provider.verified_claims(id_token_for(issuer, CLIENT_ID, sub, "n-1"), "n-1")
    assert provider.user_name(claims) == name and provider.granted_role(claims) == Role.DPO


def test_a_tampered_id_token_is_refused(issuer: str) -> None:
    sub, _ = new_sub(issuer, ["marketing"])
    header, payload, signature = id_token_for(issuer, CLIENT_ID, sub, "n-2").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    provider = OpenIdProvider(sso_settings(Settings(), issuer))
    with pytest.raises(SingleSignOnError, match="signature"):
        provider.verified_claims(f"{header}.{forged}.{signature}", "n-2")


def test_an_id_token_for_another_client_is_refused(issuer: str) -> None:
    sub, _ = new_sub(issuer, ["admin"])
    other = id_token_for(issuer, "another-application", sub, "n-3")
    provider = OpenIdProvider(sso_settings(Settings(), issuer))
    with pytest.raises(SingleSignOnError, match="aud"):
        provider.verified_claims(other, "n-3")


def test_an_id_token_with_another_nonce_is_refused(issuer: str) -> None:
    sub, _ = new_sub(issuer, ["admin"])
    token = id_token_for(issuer, CLIENT_ID, sub, "n-4")
    provider = OpenIdProvider(sso_settings(Settings(), issuer))
    with pytest.raises(SingleSignOnError, match="nonce"):
        provider.verified_claims(token, "another nonce")


def test_an_expired_id_token_is_refused() -> None:
    with running_provider(token_lifetime=timedelta(minutes=-5)) as expiring:
        sub, _ = new_sub(expiring, ["admin"])
        token = id_token_for(expiring, CLIENT_ID, sub, "n-5")
        provider = OpenIdProvider(sso_settings(Settings(), expiring))
        with pytest.raises(SingleSignOnError, match="expired"):
            provider.verified_claims(token, "n-5")
