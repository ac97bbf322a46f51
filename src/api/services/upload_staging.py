"""Uploaded files kept between an import's preview and its run, for the one who uploaded.

A browser cannot send a chosen file twice, so the import page keeps the upload it previewed
under a random token until it is imported, discarded, or an hour old. Files live in a
directory only this process's user can read; the token is bound to the uploader's name, so
another user's token opens nothing. The directory is local to the host: behind a load
balancer, the import page needs sticky sessions or a shared temporary directory.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import IO

MAX_AGE_SECONDS = 3600
TOKEN_BYTES = 24


class UploadStaging:
    """Staged uploads under `directory`."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or Path(tempfile.gettempdir()) / "asiakassilma-imports"

    def _path(self, user: str, token: str) -> Path | None:
        if not token or len(token) > 64 or not token.replace("-", "").replace("_", "").isalnum():
            return None
        owner = hashlib.sha256(user.encode()).hexdigest()[:16]
        return self.directory / f"{owner}-{token}"

    def stage(self, user: str, upload: IO[bytes]) -> str:
        """Keep the upload; its token."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.sweep()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        path = self._path(user, token)
        assert path is not None
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            shutil.copyfileobj(upload, file, 1 << 20)
        return token

    def find(self, user: str, token: str) -> Path | None:
        """The staged file of this user under the token, if it is still kept."""
        path = self._path(user, token)
        return path if path is not None and path.is_file() else None

    def discard(self, user: str, token: str) -> None:
        path = self._path(user, token)
        if path is not None:
            path.unlink(missing_ok=True)

    def sweep(self, now: float | None = None) -> None:
        """Remove uploads older than an hour."""
        limit = (time.time() if now is None else now) - MAX_AGE_SECONDS
        for path in self.directory.glob("*-*"):
            try:
                if path.stat().st_mtime < limit:
                    path.unlink(missing_ok=True)
            except FileNotFoundError:
                continue
