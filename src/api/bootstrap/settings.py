"""Settings, read once from `CRM_*` environment variables (or a `.env` file) and passed down."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from crm.adapters.postgres.event_store import DEFAULT_POOL_SIZE
from crm.application.retention import RETENTION_MONTHS
from crm.domain.consents import CONSENT_VALIDITY_MONTHS
from crm.domain.vocabulary import PURPOSES
from projections.engine.runner import DEFAULT_BATCH_SIZE
from projections.views.indicators import DEFAULT_HALF_LIFE_DAYS, MIN_HALF_LIFE_DAYS


class Settings(BaseSettings):
    """Everything an operator can configure."""

    model_config = SettingsConfigDict(env_prefix="CRM_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL; unset starts an embedded server under data_dir.",
    )
    data_dir: Path = Field(default=Path("var"), description="The embedded database.")
    secrets_dir: Path | None = Field(
        default=None,
        description="Key files (master key, blind-index key) when the keys are not set"
        " directly; unset: $XDG_CONFIG_HOME/asiakassilma (~/.config/asiakassilma), outside"
        " data_dir so that a copy of the data does not carry the key that opens it.",
    )
    master_key: SecretStr | None = Field(
        default=None, description="Base64 of 32 bytes that wrap customers' data keys."
    )
    blind_index_key: SecretStr | None = Field(
        default=None, description="Base64 of 32 bytes that key the e-mail blind index."
    )
    previous_master_key: SecretStr | None = Field(
        default=None,
        description="During a master-key rotation: the old master key (base64), still accepted.",
    )
    retention_months: int = Field(
        default=RETENTION_MONTHS,
        ge=1,
        description="Erase customers inactive this long with no open contract.",
    )
    consent_validity_months: int = Field(
        default=CONSENT_VALIDITY_MONTHS,
        ge=1,
        description="Consents older than this (months) count as expired at every read.",
    )
    session_secret: SecretStr | None = Field(
        default=None, description="Base64 of 32 bytes that sign web session cookies."
    )
    session_hours: float = Field(
        default=8.0,
        gt=0,
        le=168,
        description="How long a web sign-in lasts at most, however busy (absolute timeout).",
    )
    session_idle_minutes: float = Field(
        default=60.0,
        gt=0,
        le=10_080,
        description="A web sign-in unused this long ends (idle timeout).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description='Addresses or networks (a JSON list, e.g. ["10.0.0.0/8"]) of the'
        " TLS-terminating proxies whose X-Forwarded-Proto and X-Forwarded-For are believed:"
        " behind them the session cookie is Secure, HSTS is sent and rate limits count the"
        " real client. Empty: no forwarded header is believed.",
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="OpenID Connect issuer URL (its /.well-known/openid-configuration is"
        " read); unset: no single sign-on.",
    )
    oidc_client_id: str | None = Field(default=None, description="This service's client id.")
    oidc_client_secret: SecretStr | None = Field(
        default=None, description="This service's client secret at the provider."
    )
    oidc_roles_claim: str = Field(
        default="roles",
        description="The ID-token claim (a list or a string: app roles, groups) that grants roles.",
    )
    oidc_role_map: dict[str, str] = Field(
        default_factory=dict,
        description='Claim value -> role (JSON, e.g. {"crm-dpo": "dpo"}); a value that'
        " is itself a role's name grants that role too.",
    )
    oidc_username_claim: str = Field(
        default="preferred_username",
        description="The claim that names the user here (falls back to `sub`).",
    )
    pool_size: int = Field(default=DEFAULT_POOL_SIZE, ge=1, le=100)
    group_commit: bool = Field(
        default=True,
        description="Save concurrent touchpoints together, many per transaction (else one each).",
    )
    run_projections: bool = Field(
        default=True, description="Run the projections inside the API process."
    )
    projection_batch_size: int = Field(
        default=DEFAULT_BATCH_SIZE,
        ge=1,
        le=100_000,
        description="Events per projection transaction.",
    )
    load_demo_data: bool = Field(default=False, description="Load demo data into an empty store.")
    demo_scale: float = Field(default=1.0, gt=0, description="Demo data size multiplier.")
    max_request_bytes: int = Field(default=1_000_000, description="Largest accepted JSON body.")
    max_upload_bytes: int = Field(
        default=2_000_000_000, ge=1, description="Largest accepted import upload (POST /imports)."
    )
    staff_email_domains: list[str] = Field(
        default=["tuni.fi", "tamk.fi"],
        description="E-mail domains of the provider's own staff: their rows in imported"
        " attendance reports are not customers' touchpoints.",
    )
    mail_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret the e-mail tool signs its webhook calls with (HMAC-SHA256);"
        " unset: POST /mail-feedback/webhook answers 404.",
    )
    mail_webhook_tolerance_seconds: int = Field(
        default=300,
        ge=1,
        le=3600,
        description="How far a webhook call's signed timestamp may be from now; older or"
        " later calls are refused as replays.",
    )
    mail_feedback_purpose: Literal[PURPOSES] = Field(  # type: ignore[valid-type]
        default="newsletter",
        description="The consent an unsubscribe in the e-mail tool withdraws.",
    )
    read_wait_timeout: float = Field(
        default=2.0, ge=0, le=30, description="Longest a read waits for a given log position."
    )
    engagement_weights: dict[str, float] = Field(
        default_factory=dict,
        description="Engagement weight per touchpoint kind (JSON), overriding the defaults in"
        " projections.views.indicators.DEFAULT_WEIGHTS; applied at read time.",
    )
    engagement_half_life_days: float = Field(
        default=DEFAULT_HALF_LIFE_DAYS,
        ge=MIN_HALF_LIFE_DAYS,
        description="Half-life of a touchpoint's engagement weight; a change needs"
        " `crm rebuild indicators`.",
    )


def load_secret(settings_value: SecretStr | None, key_file: Path, *, create: bool = True) -> bytes:
    """A 32-byte key from settings, or from a key file created on first use (mode 0600).

    With `create=False` a missing key file is an error instead (`FileNotFoundError`).
    """
    if settings_value is not None:
        key = base64.b64decode(settings_value.get_secret_value())
    elif key_file.exists():
        key = base64.b64decode(key_file.read_text().strip())
    elif not create:
        raise FileNotFoundError(key_file)
    else:
        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = os.urandom(32)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(base64.b64encode(key).decode())
    if len(key) != 32:
        raise ValueError(f"{key_file.name}: a key must be 32 bytes, base64-encoded")
    return key
