"""Signing in through the institutions' OpenID Connect provider (Entra ID, or Haka through an
OpenID Connect proxy): authorization code with PKCE, ID-token checks, roles from a claim.

Authlib builds the authorization request (state, nonce, S256 code challenge) and exchanges
the code; the ID token's signature (the provider's published keys), issuer, audience, expiry
and nonce are checked here before anything is believed. The provider's role claim (app roles
or groups) maps to this service's roles; one user has one role, so with several granted the
first in `ROLE_PRECEDENCE` wins.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from authlib.jose import JsonWebKey, jwt
from authlib.jose.errors import JoseError

from api.bootstrap.settings import Settings
from crm.application.users import Role

ROLE_PRECEDENCE = (Role.ADMIN, Role.DPO, Role.FINANCE, Role.ACCOUNT_MANAGER, Role.MARKETING)
"""Which role a user granted several gets (one user, one role)."""
SCOPES = "openid profile email"
LEEWAY_SECONDS = 60
"""Clock difference tolerated between the provider and this service."""
METADATA_SECONDS = 3600.0
"""How long the provider's configuration and keys are reused before being read again."""
TIMEOUT_SECONDS = 10.0


class SingleSignOnError(Exception):
    """The provider's answer cannot be trusted or used (the reason is for the log)."""


@dataclass(frozen=True)
class SignInRequest:
    """What the browser is sent to the provider with, and what must come back."""

    url: str
    state: str
    nonce: str
    code_verifier: str


class OpenIdProvider:
    """One configured provider: its metadata and keys (cached), the code exchange and the
    ID-token checks."""

    def __init__(self, settings: Settings) -> None:
        if not (settings.oidc_issuer and settings.oidc_client_id):
            raise ValueError("single sign-on needs CRM_OIDC_ISSUER and CRM_OIDC_CLIENT_ID")
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        secret = settings.oidc_client_secret
        self.client_secret = secret.get_secret_value() if secret else None
        self.roles_claim = settings.oidc_roles_claim
        self.role_map = settings.oidc_role_map
        self.username_claim = settings.oidc_username_claim
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: Any = None
        self._read_at = 0.0

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None or time.monotonic() - self._read_at > METADATA_SECONDS:
                url = f"{self.issuer}/.well-known/openid-configuration"
                metadata: dict[str, Any] = httpx.get(url, timeout=TIMEOUT_SECONDS).json()
                if metadata.get("issuer", "").rstrip("/") != self.issuer:
                    raise SingleSignOnError(f"the provider names itself {metadata.get('issuer')}")
                self._metadata, self._keys, self._read_at = metadata, None, time.monotonic()
            return self._metadata

    def _key_set(self, refresh: bool = False) -> Any:
        metadata = self.metadata()
        with self._lock:
            if self._keys is None or refresh:
                answer = httpx.get(metadata["jwks_uri"], timeout=TIMEOUT_SECONDS)
                self._keys = JsonWebKey.import_key_set(answer.json())
            return self._keys

    def _client(self, redirect_uri: str) -> OAuth2Client:
        return OAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scope=SCOPES,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=TIMEOUT_SECONDS,
        )

    def sign_in_request(self, redirect_uri: str) -> SignInRequest:
        """Where to send the browser: the authorization endpoint with a fresh state, nonce
        and PKCE challenge."""
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                self.metadata()["authorization_endpoint"],
                state=state,
                nonce=nonce,
                code_verifier=verifier,
            )
        return SignInRequest(url, state, nonce, verifier)

    def claims_for_code(
        self, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> dict[str, Any]:
        """Exchange the code (with the PKCE verifier) and return the checked ID token's claims."""
        try:
            with self._client(redirect_uri) as client:
                token = client.fetch_token(
                    self.metadata()["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
        except (httpx.HTTPError, ValueError, KeyError) as error:
            raise SingleSignOnError(f"the code exchange failed: {error}") from error
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SingleSignOnError("the provider's answer has no ID token")
        return self.verified_claims(id_token, nonce)

    def verified_claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once its signature, issuer, audience, times and nonce hold."""
        options = {
            "iss": {"essential": True, "values": [self.issuer, f"{self.issuer}/"]},
            "aud": {"essential": True, "value": self.client_id},
            "exp": {"essential": True},
            "sub": {"essential": True},
            "nonce": {"essential": True, "value": nonce},
        }
        try:
            try:
                claims = jwt.decode(id_token, self._key_set(), claims_options=options)
            except ValueError:  # an unknown key id: the provider may have rotated its keys
                claims = jwt.decode(id_token, self._key_set(refresh=True), claims_options=options)
            claims.validate(leeway=LEEWAY_SECONDS)
        except (JoseError, ValueError) as error:
            raise SingleSignOnError(f"the ID token was refused: {error}") from error
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise SingleSignOnError("the ID token was issued to another party (azp)")
        return dict(claims)

    def user_name(self, claims: dict[str, Any]) -> str:
        name = claims.get(self.username_claim) or claims["sub"]
        return str(name)[:200]

    def granted_role(self, claims: dict[str, Any]) -> Role | None:
        """The role the claim grants now, or None when it grants none of this service's."""
        values = claims.get(self.roles_claim) or []
        if isinstance(values, str):
            values = [values]
        granted: set[Role] = set()
        for value in values:
            name = self.role_map.get(str(value), str(value))
            if name in {role.value for role in Role}:
                granted.add(Role(name))
        return next((role for role in ROLE_PRECEDENCE if role in granted), None)

    def sign_out_url(self, after: str) -> str | None:
        """Where to end the sign-in at the provider too, if it says (RP-initiated logout)."""
        endpoint = self.metadata().get("end_session_endpoint")
        if not endpoint:
            return None
        query = urlencode({"client_id": self.client_id, "post_logout_redirect_uri": after})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
