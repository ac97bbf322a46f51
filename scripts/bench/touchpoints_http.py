"""HTTP benchmark: concurrent `POST /customers/{id}/touchpoints` against the real service.

Starts `uvicorn api.main:app` in a subprocess on a fresh database (projections running
in-process), registers customers, then lets K client threads post `web_service_visited`
touchpoints for a fixed time and reports touchpoints/s with p50/p99 latency. As the baseline,
the same number of single-event commands is then run in-process on one thread
(`CRM.record_touchpoint`, one transaction each) with the server stopped.

    .venv/bin/python -m scripts.bench.touchpoints_http --clients 8 --seconds 10
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import httpx

from api.bootstrap.embedded_database import drop_database, ensure_database
from api.bootstrap.settings import Settings
from api.bootstrap.wiring import Services, build_services
from crm.application.users import Role
from crm.domain.customer import Customer, Provenance
from scripts.bench.stats import percentile

USER = "bench.am"
PAGES = ("/koulutukset/avoimet", "/koulutukset/yrityksille", "/tutkimuspalvelut", "/kumppanuus")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _provenance(key: str) -> Provenance:
    return Provenance(
        occurred_at=datetime.now(UTC),
        institution="joint",
        channel="web_service",
        recorded_by=USER,
        idempotency_key=key,
    )


def _register(services: Services, count: int) -> list[UUID]:
    customers = [
        Customer.register(
            customer_id=uuid4(),
            provenance=_provenance(f"bench:register:{n}"),
            customer_kind="person",
            customer_type="individual",
            name=f"Bench Customer {n}",
            email=None,
            phone=None,
            sector=None,
            account_manager=USER,
        )
        for n in range(count)
    ]
    for start in range(0, count, 200):
        services.crm.save(*customers[start : start + 200])
    return [customer.id for customer in customers]


def _start_server(database_url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CRM_DATABASE_URL": database_url,
        "CRM_RUN_PROJECTIONS": "true",
        "CRM_DATA_DIR": str(data_dir),
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.http.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    server = subprocess.Popen(command, env=env, cwd=data_dir)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not become healthy within 60 s")


def _stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _hammer(
    base_url: str, token: str, customers: list[UUID], clients: int, seconds: float
) -> tuple[list[float], int, float]:
    """Post touchpoints from `clients` threads for `seconds`; (latencies, errors, elapsed)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start_gate = threading.Barrier(clients + 1)
    deadline = 0.0

    def client(index: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        mine = latencies[index]
        n = 0
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
            start_gate.wait()
            while time.monotonic() < deadline:
                customer_id = customers[(index + n * clients) % len(customers)]
                body = {
                    "kind": "web_service_visited",
                    "channel": "web_service",
                    "institution": "joint",
                    "page": PAGES[n % len(PAGES)],
                    "idempotency_key": f"bench:http:{index}:{n}",
                }
                n += 1
                began = time.perf_counter()
                try:
                    response = http.post(f"/customers/{customer_id}/touchpoints", json=body)
                except httpx.HTTPError:
                    errors[index] += 1
                    continue
                if response.status_code == 201:
                    mine.append(time.perf_counter() - began)
                else:
                    errors[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    began = time.monotonic()
    start_gate.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return [x for per_client in latencies for x in per_client], sum(errors), elapsed


def _baseline(services: Services, customers: list[UUID], count: int) -> tuple[list[float], float]:
    """`count` single-event commands in-process on one thread; (latencies, elapsed)."""
    latencies = []
    began = time.monotonic()
    for n in range(count):
        started = time.perf_counter()
        services.crm.record_touchpoint(
            customers[n % len(customers)],
            _provenance(f"bench:direct:{n}"),
            "web_service_visited",
            {"page": PAGES[n % len(PAGES)], "notes": None},
        )
        latencies.append(time.perf_counter() - started)
    return latencies, time.monotonic() - began


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to post")
    parser.add_argument("--customers", type=int, default=200, help="customers to spread over")
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="server URL; a throwaway database is created on it and dropped afterwards",
    )
    args = parser.parse_args(argv)

    dbname = f"bench_{secrets.token_hex(4)}"
    database_url = ensure_database(args.database_url, dbname)
    server: subprocess.Popen[bytes] | None = None
    services: Services | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
            data_dir = Path(tmp)
            settings = Settings(database_url=database_url, data_dir=data_dir, run_projections=False)
            services = build_services(settings)
            token = services.users.add(USER, Role.ACCOUNT_MANAGER)
            customers = _register(services, args.customers)

            port = _free_port()
            server = _start_server(database_url, data_dir, port)
            print(
                f"HTTP: {args.clients} clients for {args.seconds:g} s "
                f"against {len(customers)} customers ..."
            )
            latencies, errors, elapsed = _hammer(
                f"http://127.0.0.1:{port}", token, customers, args.clients, args.seconds
            )
            _stop_server(server)
            server = None
            http_rate = len(latencies) / elapsed
            print(
                f"  {len(latencies):,} touchpoints in {elapsed:.1f} s = {http_rate:,.0f}/s, "
                f"p50 {percentile(latencies, 0.50) * 1000:.1f} ms, "
                f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, errors {errors}"
            )

            count = max(len(latencies), 1)
            print(f"in-process baseline: {count:,} single-event commands on 1 thread ...")
            direct, direct_elapsed = _baseline(services, customers, count)
            direct_rate = count / direct_elapsed
            print(
                f"  {count:,} commands in {direct_elapsed:.1f} s = {direct_rate:,.0f}/s, "
                f"p50 {percentile(direct, 0.50) * 1000:.1f} ms, "
                f"p99 {percentile(direct, 0.99) * 1000:.1f} ms"
            )
            print(f"HTTP / in-process: {http_rate / direct_rate:.2f}x")
    finally:
        if server is not None:
            _stop_server(server)
        if services is not None:
            services.close()
        drop_database(args.database_url, dbname)


if __name__ == "__main__":
    main()
