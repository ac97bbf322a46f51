"""Ingestion benchmark: online touchpoints over HTTP (group commit) and bulk import.

Each figure is a ratio to a baseline measured in the same run on the same data:

* online: touchpoints/s and latency for `POST /customers/{id}/touchpoints` from concurrent
  clients, with group commit against one event per transaction (the same server with the
  group committer switched off);
* bulk: events/s of `crm import` for a generated file (validation, e-mail matching,
  registration, encryption) against raw `COPY` of the same stored events into a table of the
  same shape, and the import's peak resident memory.

    .venv/bin/python -m scripts.bench.ingestion online --clients 32 --seconds 20
    .venv/bin/python -m scripts.bench.ingestion bulk --events 1000000
"""

from __future__ import annotations

import argparse
import base64
import csv
import functools
import io
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import psycopg
from pydantic import SecretStr

from api.bootstrap.embedded_database import (
    drop_database,
    embedded_server_url,
    ensure_database,
    with_database,
)
from api.bootstrap.settings import Settings
from api.bootstrap.wiring import build_services
from crm.adapters.postgres.event_store import EVENTS_TABLE
from crm.application.users import Role
from crm.domain.customer import Provenance
from scripts.bench.cpu import CpuMeter, wait_until_idle
from scripts.bench.http_load import LoadResult, Request, load
from scripts.bench.stats import percentile

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("/koulutukset/avoimet", "/koulutukset/yrityksille", "/tutkimuspalvelut")


def server_url() -> str:
    return os.environ.get("CRM_DATABASE_URL") or embedded_server_url(ROOT / "var" / "bench")


def fresh_database() -> tuple[str, str]:
    maintenance = with_database(server_url(), "postgres")
    name = f"crm_bench_{uuid.uuid4().hex[:8]}"
    return ensure_database(maintenance, name), name


def bench_env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CRM_DATABASE_URL": database_url,
        "CRM_DATA_DIR": str(data_dir),
        "CRM_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "CRM_BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
        "CRM_RUN_PROJECTIONS": "false",
    }


def settings_from(env: dict[str, str]) -> Settings:
    return Settings(
        database_url=env["CRM_DATABASE_URL"],
        data_dir=Path(env["CRM_DATA_DIR"]),
        master_key=SecretStr(env["CRM_MASTER_KEY"]),
        blind_index_key=SecretStr(env["CRM_BLIND_INDEX_KEY"]),
        run_projections=False,
    )


# Online ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def touchpoint_request(customers: list[str], i: int, *, valid: bool = True) -> Request:
    body = {"kind": "web_service_visited", "page": PAGES[i % len(PAGES)]}
    if not valid:
        del body["page"]
    return ("POST", f"/customers/{customers[i % len(customers)]}/touchpoints", orjson.dumps(body))


MODES = {
    "single": "one event per transaction (the group committer switched off)",
    "group": "group commit (the service's default)",
    "refused": "the same requests without the required `page`, answered 422 by the same server:"
    " the service's HTTP stack alone (routing, authentication, validation)",
    "floor": "a FastAPI route of the same shape with nothing behind it"
    " (scripts/bench/floor_app.py): the most any route reaches on this machine",
}


def online(clients: int, seconds: float, customer_count: int, workers: int) -> None:
    database_url, name = fresh_database()
    with tempfile.TemporaryDirectory() as tmp:
        env = bench_env(database_url, Path(tmp))
        services = build_services(settings_from(env))
        try:
            token = services.users.add("bench.am", Role.ACCOUNT_MANAGER)
            now = datetime.now(UTC)
            customers = [
                str(
                    services.crm.register_customer(
                        Provenance(now, "joint", "web_service", "bench", uuid.uuid4().hex),
                        customer_kind="person",
                        customer_type="individual",
                        name=f"Bench {i}",
                        email=f"bench{i}-{uuid.uuid4().hex[:6]}@example.fi",
                    ).customer_id
                )
                for i in range(customer_count)
            ]
        finally:
            services.close()
        print(
            f"online: {clients} clients, {seconds:.0f} s per mode, {customer_count} customers,"
            f" {workers} API processes"
        )
        for mode, meaning in MODES.items():
            print(f"  {mode}: {meaning}")
        results: dict[str, LoadResult] = {}
        for mode in MODES:
            port = free_port()
            if mode == "floor":
                command = [str(ROOT / ".venv/bin/uvicorn"), "scripts.bench.floor_app:app"]
                command += ["--no-access-log", "--log-level", "warning"]
            else:
                command = [str(ROOT / ".venv/bin/crm"), "serve"]
            command += ["--port", str(port), "--workers", str(workers)]
            server_env = {**env, "CRM_GROUP_COMMIT": str(mode != "single").lower()}
            server = subprocess.Popen(command, env=server_env, cwd=ROOT, stdout=subprocess.DEVNULL)
            try:
                wait_for_health(port)
                wait_until_idle(server.pid)
                meter = CpuMeter(server.pid)
                results[mode] = load(
                    "127.0.0.1",
                    port,
                    {"Authorization": f"Bearer {token}"},
                    functools.partial(touchpoint_request, customers, valid=mode != "refused"),
                    clients=clients,
                    seconds=seconds,
                    expect=frozenset({422} if mode == "refused" else {201}),
                )
                cpu = meter.stop()
            finally:
                server.terminate()
                server.wait(30)
            outcome = results[mode]
            print(
                f"  {mode:7} {outcome.rate:7,.0f} requests/s"
                f"  p50 {percentile(outcome.latencies, 0.50) * 1000:6.1f} ms"
                f"  p99 {percentile(outcome.latencies, 0.99) * 1000:6.1f} ms"
                f"  failures {outcome.failures} {outcome.unexpected or ''}"
            )
            print(f"          {cpu.per_request_us(len(outcome.latencies))}")
        group, single = results["group"], results["single"]
        print(f"  ratio group/single: {group.rate / max(single.rate, 1):.2f}")
        for ceiling in ("refused", "floor"):
            share = group.rate / max(results[ceiling].rate, 1)
            print(f"  ratio group/{ceiling}: {share:.2f}")
    drop_database(with_database(server_url(), "postgres"), name)


def wait_for_health(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start")


# Bulk -----------------------------------------------------------------------------------

COLUMNS = ["kind", "email", "name", "occurred_at", "notes", "page", "fair_name"]
COLUMNS += ["webinar_id", "title", "course", "credits"]


def write_file(path: Path, events: int, per_customer: int) -> int:
    """A native-mapping CSV with `events` rows, `per_customer` touchpoints per person."""
    start = datetime(2019, 1, 1, 9, tzinfo=UTC)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in range(events):
            person = row // per_customer
            at = (start + timedelta(minutes=row * 7)).isoformat()
            email = f"learner{person}@example.fi"
            name = f"Oppija {person}"
            match row % 4:
                case 0:
                    values = ["web_service_visited", email, name, at, "", "/koulutukset", ""]
                    values += ["", "", "", ""]
                case 1:
                    values = ["fair_visited", email, name, at, "Kysyi hinnoista", "", "Studia"]
                    values += ["", "", "", ""]
                case 2:
                    values = ["webinar_attended", email, name, at, "", "", ""]
                    values += [f"w{row % 50}", "Tekoäly opetuksessa", "", ""]
                case _:
                    values = ["course_completed", email, name, at, "", "", ""]
                    values += ["", "", f"Kurssi {row % 30}", "5"]
            writer.writerow(values)
    return (events + per_customer - 1) // per_customer


def import_child(path: Path) -> None:
    """Run the import in this process (the subprocess side of `bulk`) and print its counts."""
    from crm.application.imports import MAPPINGS, Importer, read_rows

    services = build_services(Settings())
    try:
        assert services.import_log is not None
        started, cpu_started = time.monotonic(), time.process_time()
        with path.open("rb") as handle:
            report = Importer(services.crm, services.import_log).run(
                read_rows(handle, "csv"),
                import_id=uuid.uuid4().hex,
                source=path.name,
                mapping=MAPPINGS["native"],
                recorded_by="bench",
            )
        elapsed, cpu = time.monotonic() - started, time.process_time() - cpu_started
    finally:
        services.close()
    print(f"{report.recorded} {report.customers_created} {report.invalid} {elapsed} {cpu}")


def bulk(events: int, per_customer: int) -> None:
    database_url, name = fresh_database()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.csv"
        people = write_file(path, events, per_customer)
        size_mb = path.stat().st_size / 1e6
        print(f"bulk: {events:,} touchpoints for {people:,} people, {size_mb:,.0f} MB CSV")
        print(f"  load average before: {load_average()}")
        env = bench_env(database_url, Path(tmp))
        command = [sys.executable, "-m", "scripts.bench.ingestion", "import-child", str(path)]
        output = subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        recorded, created, invalid, seconds, cpu = output.stdout.decode().split()[-5:]
        stored = int(recorded) + int(created)
        rate = stored / float(seconds)
        print(
            f"  import: {stored:,} events ({recorded} touchpoints + {created} registrations,"
            f" {invalid} invalid) in {float(seconds):,.1f} s = {rate:,.0f} events/s,"
            f" peak RSS {peak_mb:,.0f} MB"
        )
        # Python CPU per event; below the wall time per event when PostgreSQL inserts
        # while Python decides the next chunk, above it when other processes compete.
        print(f"  import CPU (all threads): {1e6 * float(cpu) / stored:,.0f} us/event")
        copy_rate, copied = raw_copy(database_url)
        print(f"  raw COPY of the same {copied:,} stored events: {copy_rate:,.0f} events/s")
        print(f"  ratio import/COPY: {rate / copy_rate:.3f}")
        print(f"  load average after: {load_average()}")
    drop_database(with_database(server_url(), "postgres"), name)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def raw_copy(database_url: str) -> tuple[float, int]:
    """COPY the stored events into an empty table of the same shape (indexes included)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        buffer = io.BytesIO()
        with conn.cursor().copy(f"COPY {EVENTS_TABLE} TO STDOUT") as out:
            for block in out:
                buffer.write(block)
        count = conn.execute(f"SELECT count(*) FROM {EVENTS_TABLE}").fetchone()
        conn.execute(f"CREATE TABLE bench_copy (LIKE {EVENTS_TABLE} INCLUDING ALL)")
        data = buffer.getvalue()
        started = time.monotonic()
        with conn.transaction(), conn.cursor().copy("COPY bench_copy FROM STDIN") as into:
            for offset in range(0, len(data), 1 << 20):
                into.write(data[offset : offset + (1 << 20)])
        elapsed = time.monotonic() - started
        conn.execute("DROP TABLE bench_copy")
    copied = int(count[0]) if count else 0
    return copied / elapsed, copied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    on = commands.add_parser("online")
    on.add_argument("--clients", type=int, default=32)
    on.add_argument("--seconds", type=float, default=20)
    on.add_argument("--customers", type=int, default=1000)
    on.add_argument("--workers", type=int, default=2, help="API processes (`crm serve --workers`)")
    bk = commands.add_parser("bulk")
    bk.add_argument("--events", type=int, default=100_000)
    bk.add_argument("--per-customer", type=int, default=10)
    child = commands.add_parser("import-child")
    child.add_argument("path", type=Path)
    args = parser.parse_args()
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores")
    if args.command == "online":
        online(args.clients, args.seconds, args.customers, args.workers)
    elif args.command == "bulk":
        bulk(args.events, args.per_customer)
    else:
        import_child(args.path)


if __name__ == "__main__":
    main()
