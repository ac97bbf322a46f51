"""A master key that fits the data, kept outside the data directory: the checks at start-up."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from api.bootstrap.embedded_database import drop_database, ensure_database, with_database
from api.bootstrap.key_files import CURRENT_FILE, KeySettingError
from api.bootstrap.settings import Settings
from api.bootstrap.wiring import build_services
from tests.conftest import ROOT, make_settings
from tests.factories import register


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    """A database of its own, with no customer yet."""
    name = f"crm_keys_{uuid.uuid4().hex[:10]}"
    maintenance = with_database(server_url, "postgres")
    yield ensure_database(maintenance, name)
    drop_database(maintenance, name)


def new_key() -> SecretStr:
    return SecretStr(base64.b64encode(os.urandom(32)).decode())


def quiet(settings: Settings) -> Settings:
    return settings.model_copy(update={"run_projections": False, "group_commit": False})


def host(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    """Settings of one host of the service: its own data directory, the shared database."""
    return quiet(make_settings(database_url, data_dir).model_copy(update=overrides))


def test_a_second_host_with_another_master_key_refuses_and_the_right_key_starts(
    empty_database: str, tmp_path: Path
) -> None:
    first = host(empty_database, tmp_path / "a")
    services = build_services(first)
    customer_id = register(services.crm)
    services.close()

    second = first.model_copy(update={"master_key": new_key(), "data_dir": tmp_path / "b"})
    with pytest.raises(KeySettingError, match="CRM_MASTER_KEY") as refused:
        build_services(second)
    assert "rotate-master-key" in str(refused.value)

    again = build_services(first)
    try:
        assert again.crm.get_customer(customer_id).name is not None
    finally:
        again.close()


def test_a_host_without_the_key_file_refuses_and_writes_no_new_key(
    empty_database: str, tmp_path: Path
) -> None:
    first = host(empty_database, tmp_path / "data", master_key=None, secrets_dir=tmp_path / "one")
    services = build_services(first)
    register(services.crm)
    services.close()
    assert (tmp_path / "one" / CURRENT_FILE).exists()

    other_host = first.model_copy(update={"secrets_dir": tmp_path / "two"})
    with pytest.raises(KeySettingError, match="CRM_SECRETS_DIR / CRM_DATA_DIR"):
        build_services(other_host)
    assert not (tmp_path / "two" / CURRENT_FILE).exists()


def test_an_empty_database_starts_with_a_new_key_file_outside_the_data_directory(
    empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    settings = host(empty_database, tmp_path / "var", master_key=None)
    services = build_services(settings)
    try:
        register(services.crm)
    finally:
        services.close()
    assert (tmp_path / "config" / "asiakassilma" / CURRENT_FILE).exists()
    assert not list((tmp_path / "var").rglob("*.key"))


def test_a_key_file_beside_the_data_is_still_used_and_reported_loudly(
    empty_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    legacy = tmp_path / "var" / "secrets"
    first = host(empty_database, tmp_path / "var", master_key=None, secrets_dir=legacy)
    services = build_services(first)
    customer_id = register(services.crm)
    services.close()

    # No CRM_SECRETS_DIR: the key file found inside the data directory opens the data.
    unconfigured = first.model_copy(update={"secrets_dir": None})
    with caplog.at_level(logging.WARNING, logger="api.bootstrap.key_files"):
        services = build_services(unconfigured)
    try:
        assert services.crm.get_customer(customer_id).name is not None
    finally:
        services.close()
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(legacy / CURRENT_FILE) in message for message in warned)
    assert all("BESIDE THE DATA" in message for message in warned)


def test_a_crm_command_with_a_wrong_master_key_refuses_naming_the_setting(
    empty_database: str, tmp_path: Path
) -> None:
    services = build_services(host(empty_database, tmp_path / "a"))
    register(services.crm)
    services.close()

    env = {
        **os.environ,
        "CRM_DATABASE_URL": empty_database,
        "CRM_DATA_DIR": str(tmp_path / "b"),
        "CRM_MASTER_KEY": new_key().get_secret_value(),
        "CRM_BLIND_INDEX_KEY": new_key().get_secret_value(),
        "COLUMNS": "400",
    }
    crm = Path(sys.executable).parent / "crm"
    done = subprocess.run(
        [str(crm), "users", "add", "someone", "--role", "admin"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Wrong master key" in done.stdout and "CRM_MASTER_KEY" in done.stdout
