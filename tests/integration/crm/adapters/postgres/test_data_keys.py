"""Master-key rotation against PostgreSQL: rewrapped in batches, readable throughout."""

from __future__ import annotations

import os
from pathlib import Path

from api.bootstrap.key_files import begin_file_rotation, end_file_rotation, previous_master_keys
from api.bootstrap.wiring import Services
from crm.adapters.mapper import PersonalDataMapper
from crm.adapters.postgres.data_keys import PostgresKeyRing
from tests.factories import register, unique


def keyring(services: Services, master: bytes, previous: list[bytes]) -> PostgresKeyRing:
    return PostgresKeyRing(services.pool, master, previous)


def test_rotation_rewraps_every_key_and_survives_an_interruption(
    services: Services, other_process: Services
) -> None:
    name = unique("Rotated")
    customer_id = register(services.crm, name=name, email=None)
    old = services.crm.keys.master_key
    new = os.urandom(32)
    rotating = keyring(services, new, [old])
    assert rotating.remaining_to_rewrap() >= 1
    assert rotating.rewrap_batch(1) == 1  # then the process "dies"
    resumed = keyring(services, new, [old])
    while resumed.rewrap_batch(50):
        pass
    assert resumed.remaining_to_rewrap() == 0
    only_new = keyring(services, new, [])
    cipher = only_new.cipher_for(customer_id)
    assert cipher is not None
    # The rotated ring decrypts the same data as before.
    other_process.crm.keys = only_new
    assert isinstance(other_process.crm.mapper, PersonalDataMapper)
    other_process.crm.mapper.keys = only_new
    assert other_process.crm.get_customer(customer_id).name == name
    # Put the session's master key back for the other tests.
    back = keyring(services, old, [new])
    while back.rewrap_batch(500):
        pass
    assert back.remaining_to_rewrap() == 0


def test_key_file_rotation_can_be_repeated_after_a_crash(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "master.key").write_text("b2xkLWtleS1vbGQta2V5LW9sZC1rZXktb2xkLWtleSE=")
    original = (secrets / "master.key").read_text()
    assert begin_file_rotation(secrets)
    assert (secrets / "master.previous.key").read_text() == original
    assert (secrets / "master.key").read_text() != original
    assert not begin_file_rotation(secrets)  # continuing, not rotating twice
    assert len(previous_master_keys(None, secrets)) == 1
    assert (secrets / "master.key").stat().st_mode & 0o077 == 0
    end_file_rotation(secrets)
    assert previous_master_keys(None, secrets) == []
