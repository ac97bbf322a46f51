"""Master-key rotation: which old keys are still accepted, and the key-file swap.

Rotation is crash-safe at every step. Each data-key row names the master key that wrapped it,
rows are rewrapped in committed batches, and every process accepts both the new and the old
master key until no row is wrapped by the old one. Repeating an interrupted rotation finishes it.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from pydantic import SecretStr

CURRENT_FILE = "master.key"
PREVIOUS_FILE = "master.previous.key"
FRESH_FILE = "master.key.new"


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
