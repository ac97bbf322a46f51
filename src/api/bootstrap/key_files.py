"""Key files: where they live, the check that the master key fits the data, and rotation.

Key files live in `CRM_SECRETS_DIR`, by default `$XDG_CONFIG_HOME/asiakassilma`
(`~/.config/asiakassilma`), outside `CRM_DATA_DIR`: a copy of the data directory (a backup of
`var/`) must not carry the key that unwraps every customer's data key. A key file found inside
the data directory is still used (installations made before the move keep working) but is
reported loudly at every start until it is moved, unless `CRM_SECRETS_DIR` names that place.

A process refuses to start when the database holds data keys and its master key unwraps none
of them (another data or secrets directory, or a second host without `CRM_MASTER_KEY`):
otherwise it would generate a new master key, fail on every read of an existing customer and
seal new customers under a key no other process has. Changing the master key is explicit:
`crm rotate-master-key`.

Rotation is crash-safe at every step. Each data-key row names the master key that wrapped it,
rows are rewrapped in committed batches, and every process accepts both the new and the old
master key until no row is wrapped by the old one. Repeating an interrupted rotation finishes it.
"""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

from psycopg_pool import ConnectionPool
from pydantic import SecretStr

from api.bootstrap.settings import Settings, load_secret
from crm.adapters.encryption import MasterKeyMismatchError
from crm.adapters.postgres.data_keys import PostgresKeyRing, has_data_keys

CURRENT_FILE = "master.key"
PREVIOUS_FILE = "master.previous.key"
FRESH_FILE = "master.key.new"
BLIND_INDEX_FILE = "blind-index.key"
KEY_FILES = (CURRENT_FILE, PREVIOUS_FILE, FRESH_FILE, BLIND_INDEX_FILE)
LEGACY_SUBDIR = "secrets"
"""Where key files were kept before they moved out: `<data_dir>/secrets`."""

log = logging.getLogger(__name__)


class KeySettingError(RuntimeError):
    """The key settings do not fit the database; the message names the setting to check."""


def default_secrets_dir() -> Path:
    """`$XDG_CONFIG_HOME/asiakassilma`, else `~/.config/asiakassilma`."""
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "asiakassilma"


def secrets_dir(settings: Settings) -> Path:
    """The directory of the key files: CRM_SECRETS_DIR, else the default outside the data
    directory, unless only the old place inside the data directory holds a master key."""
    if settings.secrets_dir is not None:
        return settings.secrets_dir
    default, legacy = default_secrets_dir(), settings.data_dir / LEGACY_SUBDIR
    if not (default / CURRENT_FILE).exists() and (legacy / CURRENT_FILE).exists():
        return legacy
    return default


def key_files_beside_data(settings: Settings) -> list[Path]:
    """Key files inside the data directory that no setting put there on purpose."""
    data_dir = settings.data_dir.resolve()
    chosen = settings.secrets_dir.resolve() if settings.secrets_dir is not None else None
    found: list[Path] = []
    for directory in {secrets_dir(settings).resolve(), data_dir / LEGACY_SUBDIR}:
        if directory == chosen or not directory.is_relative_to(data_dir):
            continue
        found.extend(directory / name for name in KEY_FILES if (directory / name).exists())
    return sorted(found)


def warn_about_key_files_beside_data(settings: Settings) -> list[Path]:
    """Log a warning per key file that sits inside the data directory; returns them."""
    found = key_files_beside_data(settings)
    for path in found:
        log.warning(
            "KEY FILE BESIDE THE DATA: %s is inside CRM_DATA_DIR (%s), so a copy of the data"
            " directory decrypts every customer. Move it to %s (or set CRM_SECRETS_DIR, or"
            " CRM_MASTER_KEY / CRM_BLIND_INDEX_KEY) and keep it out of the data's backups.",
            path,
            settings.data_dir,
            default_secrets_dir(),
        )
    return found


def open_key_ring(settings: Settings, pool: ConnectionPool) -> PostgresKeyRing:
    """The data keys under the configured master key, refused when that key fits no stored
    data key (`KeySettingError`, naming CRM_MASTER_KEY and where the key file was looked for)."""
    directory = secrets_dir(settings)
    key_file = directory / CURRENT_FILE
    where = "CRM_MASTER_KEY" if settings.master_key is not None else f"the key file {key_file}"
    check = (
        "Check CRM_MASTER_KEY (every process and host needs the same one)"
        if settings.master_key is not None
        else f"Check CRM_SECRETS_DIR / CRM_DATA_DIR (key file {key_file}) or set CRM_MASTER_KEY"
    )
    try:
        master_key = load_secret(settings.master_key, key_file, create=False)
    except FileNotFoundError:
        if has_data_keys(pool):
            raise KeySettingError(
                f"No master key: CRM_MASTER_KEY is unset and {key_file} does not exist, but"
                " the database holds customers' data keys. Set CRM_MASTER_KEY, or"
                " CRM_SECRETS_DIR / CRM_DATA_DIR to where the key file is; a new key would"
                " open none of the stored data."
            ) from None
        master_key = load_secret(None, key_file)
    keys = PostgresKeyRing(
        pool, master_key, previous_master_keys(settings.previous_master_key, directory)
    )
    try:
        keys.check_master_key()
    except MasterKeyMismatchError as error:
        raise KeySettingError(
            f"Wrong master key: {where} unwraps none of the customers' data keys in the"
            f" database ({error}). {check}. To change the master key on purpose, run"
            " `crm rotate-master-key` (with CRM_PREVIOUS_MASTER_KEY set to the old key)."
        ) from error
    return keys


def previous_master_keys(setting: SecretStr | None, secrets_dir: Path) -> list[bytes]:
    """Old master keys still accepted: CRM_PREVIOUS_MASTER_KEY and a rotation's key file."""
    keys = []
    if setting is not None:
        keys.append(base64.b64decode(setting.get_secret_value()))
    previous = secrets_dir / PREVIOUS_FILE
    if previous.exists():
        keys.append(base64.b64decode(previous.read_text().strip()))
    return keys


def _write_new_key(path: Path) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(base64.b64encode(os.urandom(32)).decode())
        handle.flush()
        os.fsync(handle.fileno())


def begin_file_rotation(secrets_dir: Path) -> bool:
    """Key-file mode: make a fresh key current, keeping the old one as the previous key.

    Order: write the fresh key, hard-link the current key as previous, then replace the current
    key. A crash between any two steps is finished by calling this again. Returns False when a
    rotation was already under way (it is then only continued).
    """
    current, previous, fresh = (secrets_dir / n for n in (CURRENT_FILE, PREVIOUS_FILE, FRESH_FILE))
    if not current.exists():
        raise FileNotFoundError(f"{current} does not exist; nothing to rotate")
    started = previous.exists() and not fresh.exists()
    if started:
        return False
    if not fresh.exists():
        _write_new_key(fresh)
    if not previous.exists():
        os.link(current, previous)
    os.replace(fresh, current)
    return True


def end_file_rotation(secrets_dir: Path) -> None:
    """Key-file mode: forget the old key once no data key is wrapped by it."""
    (secrets_dir / PREVIOUS_FILE).unlink(missing_ok=True)
