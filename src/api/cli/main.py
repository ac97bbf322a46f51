"""The `crm` command line: serve, worker, migrate, rebuild, users, demo."""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from api.bootstrap.settings import Settings
from api.bootstrap.wiring import build_services
from crm.adapters.postgres.migrations import applied_migrations
from crm.application.users import MIN_PASSWORD_LENGTH, Role, UserExistsError
from projections.engine.runner import DEFAULT_BATCH_SIZE

app = typer.Typer(
    help="Asiakassilmä: event-sourced CRM and customer journeys.", no_args_is_help=True
)
users_app = typer.Typer(help="Manage users and their tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
console = Console()


PREFLIGHT = {"run_projections": False, "group_commit": False}
"""Settings for a process that only opens the stores (checks them) and closes them again."""


def main() -> None:
    """The `crm` entry point: a wrong key setting ends any command with its message."""
    from api.bootstrap.key_files import KeySettingError

    try:
        app()
    except KeySettingError as error:
        console.print(f"[red]{error}[/red]")
        raise SystemExit(2) from error


def _settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes.")] = 1,
) -> None:
    """Serve the API and web UI (projections run in-process unless CRM_RUN_PROJECTIONS=false)."""
    import uvicorn

    logging.basicConfig(level=logging.INFO)
    settings = _settings()
    if settings.load_demo_data:
        _load_demo_if_empty(settings)
    else:
        # Refuse a wrong key setting here, with its message, before any worker starts.
        build_services(settings.model_copy(update=PREFLIGHT)).close()
    console.print(f"Asiakassilmä on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "api.http.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
        # Forwarded headers are believed only from CRM_TRUSTED_PROXIES (api.http.proxies).
        proxy_headers=False,
    )


@app.command()
def worker() -> None:
    """Run all projections and the scheduled jobs until interrupted."""
    logging.basicConfig(level=logging.INFO)
    from api.worker.scheduler import start_scheduler

    services = build_services(_settings(run_projections=True))
    scheduler = start_scheduler(services)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print("projection worker running; Ctrl-C stops it")
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=False)
        services.close()


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (serve and worker also do this at start-up)."""
    services = build_services(_settings(run_projections=False))
    console.print(f"schema at version {applied_migrations(services.pool)[-1].version}")
    services.close()


@app.command()
def rebuild(
    name: Annotated[str, typer.Argument(help="View name, e.g. timeline.")],
    batch_size: Annotated[int, typer.Option(help="Events per transaction.")] = DEFAULT_BATCH_SIZE,
) -> None:
    """Rebuild a view from the first event beside the live one, then switch readers to it."""
    from api.services.rebuild import UnknownViewError, rebuild_view, view_class_named

    try:
        view_class_named(name)
    except UnknownViewError as error:
        raise typer.BadParameter(str(error)) from error
    services = build_services(_settings(run_projections=False))
    try:
        started = time.monotonic()
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,} positions"),
            TextColumn("{task.fields[rate]:,.0f} events/s"),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(name, total=services.projector.head(), rate=0.0)

            def report(tag: str, head: int, applied: int, position: int) -> None:
                rate = applied / max(time.monotonic() - started, 1e-6)
                progress.update(
                    task, description=f"{name} {tag}", total=head, completed=position, rate=rate
                )

            rebuilt = rebuild_view(services, name, batch_size=batch_size, progress=report)
    finally:
        services.close()
    console.print(f"{name}: generation {rebuilt.tag} is live (was {rebuilt.replaced})")


@users_app.command("add")
def add_user(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[Role, typer.Option(help="The user's role.")],
    password: Annotated[
        bool, typer.Option("--password", help="Also set a web UI password (asked for).")
    ] = False,
) -> None:
    """Create a user and print its bearer token (shown only once)."""
    secret = _ask_password() if password else None
    services = build_services(_settings(run_projections=False))
    try:
        token = services.users.add(name, role, secret)
    except UserExistsError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    finally:
        services.close()
    console.print(f"{name} ({role.value}) token, shown only once:")
    print(token)


def _ask_password() -> str:
    secret: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(secret) < MIN_PASSWORD_LENGTH:
        console.print(f"[red]A password needs at least {MIN_PASSWORD_LENGTH} characters.[/red]")
        raise typer.Exit(1)
    return secret


@users_app.command("password")
def set_password(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Set or change an active user's web UI password (asked for; stored as an argon2 hash)."""
    secret = _ask_password()
    services = build_services(_settings(run_projections=False))
    try:
        if not services.users.set_password(name, secret):
            console.print(f"[red]No active user {name}.[/red]")
            raise typer.Exit(1)
    finally:
        services.close()
    console.print(f"{name}: password set")


@users_app.command("revoke")
def revoke_user(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Revoke a user's token and password."""
    services = build_services(_settings(run_projections=False))
    try:
        if not services.users.revoke(name):
            console.print(f"[red]No active user {name}.[/red]")
            raise typer.Exit(1)
    finally:
        services.close()
    console.print(f"{name} revoked")


@users_app.command("role")
def change_role(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[Role, typer.Argument(help="The new role.")],
) -> None:
    """Give an active user another role (the user's web sign-ins end)."""
    services = build_services(_settings(run_projections=False))
    try:
        if not services.users.set_role(name, role):
            console.print(f"[red]No active user {name}.[/red]")
            raise typer.Exit(1)
    finally:
        services.close()
    console.print(f"{name}: role {role.value}")


@users_app.command("list")
def list_users() -> None:
    """List users and roles."""
    services = build_services(_settings(run_projections=False))
    try:
        for name, role, revoked in services.users.list():
            console.print(f"{name}\t{role}\t{'revoked' if revoked else 'active'}")
    finally:
        services.close()


@app.command("fit-lifetime")
def fit_lifetime_command(
    today: Annotated[
        str | None, typer.Option(help="Observation end, YYYY-MM-DD (default: today).")
    ] = None,
) -> None:
    """Fit the BG/NBD and Gamma-Gamma lifetime models on all purchases and store predictions."""
    from datetime import date

    from projections.engine.merges import MergeMap
    from projections.lifetime.fit import fit_lifetime
    from projections.views.indicators import CustomerIndicators

    services = build_services(_settings(run_projections=False))
    try:
        end = date.fromisoformat(today) if today else date.today()
        outcome = fit_lifetime(
            services.views.get(CustomerIndicators), services.views.get(MergeMap), end
        )
    finally:
        services.close()
    if not outcome.fitted:
        console.print(f"[yellow]no new fit: {outcome.reason}[/yellow]")
        raise typer.Exit(1)
    console.print(f"fit {outcome.fit_id} stored for {outcome.n_customers} customers")


@app.command()
def demo(
    scale: Annotated[
        float, typer.Option(help="Size multiplier (1 = a few thousand people).")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
) -> None:
    """Load reproducible demo data (does nothing if customers exist already)."""
    settings = _settings(run_projections=False, demo_scale=scale)
    _load_demo_if_empty(settings, seed=seed)


@app.command("import")
def import_file(
    path: Annotated[
        Path,
        typer.Argument(help="An export: CSV, NDJSON or .xlsx.", exists=True, dir_okay=False),
    ],
    mapping: Annotated[
        str | None,
        typer.Option(help="Override the recognised format: a mapping from docs/imports.md."),
    ] = None,
    file_format: Annotated[
        str | None, typer.Option("--format", help="csv, ndjson or xlsx (default: recognised).")
    ] = None,
    time_zone: Annotated[
        str, typer.Option("--timezone", help="Time zone of the report's times.")
    ] = "Europe/Helsinki",
    dry_run: Annotated[bool, typer.Option(help="Decide every row but store nothing.")] = False,
    recorded_by: Annotated[str, typer.Option(help="User name stored with each row.")] = "import",
    chunk_rows: Annotated[int, typer.Option(help="Rows per transaction.")] = 1000,
    offering_code: Annotated[
        str | None,
        typer.Option(
            help="The catalogue code of the course a Moodle export is of (default: from its"
            " file name, completion-CODE.csv or CODE Grades.csv)."
        ),
    ] = None,
) -> None:
    """Import touchpoints from a file (re-running adds nothing; a crashed run resumes)."""
    from crm.application.imports import (
        MAPPINGS,
        Importer,
        ImportFailedError,
        ImportReport,
        ImportRequest,
        ReportOptions,
    )
    from crm.application.imports import import_file as import_stream
    from crm.domain.calendar import zone_named
    from crm.domain.errors import InvalidFieldError

    if mapping is not None and mapping not in MAPPINGS:
        raise typer.BadParameter(f"unknown mapping {mapping!r}; one of: {', '.join(MAPPINGS)}")
    if file_format not in (None, "csv", "ndjson", "xlsx"):
        raise typer.BadParameter("--format must be csv, ndjson or xlsx")
    try:
        zone = zone_named(time_zone)
    except InvalidFieldError as error:
        raise typer.BadParameter(f"--timezone {error.problem}") from error
    if file_format is None and path.suffix.lower() in (".ndjson", ".jsonl"):
        file_format = "ndjson"
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            lines += block.count(b"\n")
    settings = _settings(run_projections=False)
    services = build_services(settings)
    request = ImportRequest(
        path.name,
        recorded_by,
        mapping,
        file_format,
        ReportOptions(zone, tuple(settings.staff_email_domains), offering_code),
        dry_run,
    )
    try:
        started = time.monotonic()
        with (
            Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:,}/{task.total:,} lines"),
                TextColumn("{task.fields[rate]:,.0f} rows/s"),
                TextColumn("{task.fields[invalid]:,} invalid"),
                TimeRemainingColumn(),
                console=console,
            ) as progress,
            path.open("rb") as handle,
        ):
            task = progress.add_task(path.name, total=lines, rate=0.0, invalid=0)

            def report(state: ImportReport) -> None:
                rate = state.rows / max(time.monotonic() - started, 1e-6)
                progress.update(task, completed=state.last_line, rate=rate, invalid=state.invalid)

            try:
                result, _ = import_stream(
                    Importer(services.crm, services.import_log, chunk_rows),
                    handle,
                    request,
                    report,
                )
            except (InvalidFieldError, ImportFailedError) as error:
                console.print(f"[red]import failed: {error}")
                raise typer.Exit(1) from error
            progress.update(task, completed=lines)
    finally:
        services.close()
    what = "would record" if dry_run else "recorded"
    console.print(
        f"import {result.import_id} ({result.mapping}): {result.rows:,} rows, "
        f"{result.recorded:,} {what}, {result.duplicates:,} already there, "
        f"{result.invalid:,} invalid, {result.customers_created:,} new customers"
    )
    for row_error in result.errors[:20]:
        console.print(f"  line {row_error.line}, {row_error.field}: {row_error.reason}")
    if result.invalid > 20 and not dry_run:
        console.print(f"  ... all invalid rows: GET /imports/{result.import_id}")


def _load_demo_if_empty(settings: Settings, seed: int = 2026) -> None:
    from api.cli.demo_data import load_demo

    services = build_services(settings.model_copy(update={"run_projections": False}))
    try:
        if services.projector.head() > 0:
            console.print("demo data: the store is not empty; nothing loaded")
            return
        tokens = load_demo(services, scale=settings.demo_scale, seed=seed, console=console)
        console.print("demo users (tokens also written to var/demo-tokens.txt):")
        for name, token in tokens.items():
            console.print(f"  {name}: {token}")
    finally:
        services.close()


@app.command()
def erase(
    customer_id: Annotated[str, typer.Argument(help="The customer's id (uuid).")],
    reason: Annotated[str, typer.Option(help="Why (no personal data), e.g. 'GDPR art. 17'.")],
    requested_by: Annotated[str, typer.Option(help="The DPO's user name.")],
    request_id: Annotated[
        str | None, typer.Option(help="Repeat an earlier request's id to finish or show it.")
    ] = None,
) -> None:
    """Erase a customer (crypto-shredding) and print the certificate."""
    import json
    from datetime import UTC, datetime
    from uuid import UUID, uuid4

    from crm.domain.errors import CRMError

    services = build_services(_settings(run_projections=False))
    try:
        request = services.privacy.erase_customer(
            UUID(customer_id),
            requested_by,
            reason,
            UUID(request_id) if request_id else uuid4(),
            datetime.now(UTC),
        )
    except (CRMError, ValueError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    finally:
        services.close()
    print(json.dumps(request.certificate, indent=2, ensure_ascii=False))


@app.command("rotate-master-key")
def rotate_master_key(
    batch_size: Annotated[int, typer.Option(help="Data keys rewrapped per transaction.")] = 1000,
) -> None:
    """Rewrap every customer's data key with a new master key; safe to repeat after a crash.

    With key files (no CRM_MASTER_KEY), a fresh key is generated; stop other processes first.
    With CRM_MASTER_KEY, set it to the new key and CRM_PREVIOUS_MASTER_KEY to the old one in
    every process, then run this; unset CRM_PREVIOUS_MASTER_KEY when it reports completion.
    """
    from api.bootstrap.key_files import begin_file_rotation, end_file_rotation, secrets_dir
    from crm.application.key_rotation import rewrap_data_keys

    settings = _settings(run_projections=False)
    secrets = secrets_dir(settings)
    file_mode = settings.master_key is None
    if file_mode:
        if begin_file_rotation(secrets):
            console.print("new master key generated; rewrapping data keys")
        else:
            console.print("continuing an interrupted rotation")
    elif settings.previous_master_key is None:
        console.print(
            "[red]Set CRM_MASTER_KEY to the new key and CRM_PREVIOUS_MASTER_KEY to the old one "
            "(in every process), then run this again.[/red]"
        )
        raise typer.Exit(1)
    services = build_services(settings)
    try:
        rotation = rewrap_data_keys(services.key_ring, batch_size)
    finally:
        services.close()
    console.print(
        f"{rotation.rewrapped} data keys rewrapped with master key {rotation.master_key_id}"
    )
    if file_mode:
        end_file_rotation(secrets)
        console.print("the previous master key file was removed")
    else:
        console.print("done: CRM_PREVIOUS_MASTER_KEY can now be unset")


if __name__ == "__main__":
    main()
