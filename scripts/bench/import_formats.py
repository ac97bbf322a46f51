"""Import formats benchmark: a Zoom webinar attendee report against native CSV.

Both files hold the same people and touchpoints (100,000 attendee rows by default: most
attended once, some rejoined, some registered but stayed away). Each is imported into its own
fresh database in this run, through the same path `crm import` takes (format recognised by
content, rows folded for the Zoom report), and the figure is the Zoom report's rate as a
ratio to the native CSV's.

    .venv/bin/python -m scripts.bench.import_formats --rows 100000
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.bootstrap.embedded_database import drop_database, with_database
from api.bootstrap.wiring import build_services
from crm.application.imports import Importer, ImportRequest, import_file
from crm.domain.calendar import HELSINKI
from scripts.bench.ingestion import bench_env, fresh_database, server_url, settings_from

TOPIC = "Tekoäly opetuksessa"
WEBINAR_ID = "843 2219 0712"
START = datetime(2025, 3, 4, 13, 58, 2)


def people(rows: int) -> list[tuple[str, str, str, datetime, int]]:
    """(attended, name, email, join time, minutes) per attendee row, as Zoom lists them."""
    listed = []
    for row in range(rows):
        person = row if row % 20 != 19 else row - 7  # one row in 20 is a rejoin
        attended = "No" if person % 20 == 3 else "Yes"
        join = START + timedelta(seconds=row % 3600)
        listed.append((attended, f"Osallistuja {person}", f"p{person}@example.fi", join, 30))
    return listed


def zoom_report(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Attendee Report"])
    writer.writerow(["Report Generated:", "03/05/2025 09:12:44 AM"])
    writer.writerow(["Topic", "Webinar ID", "Actual Start Time", "Actual Duration (minutes)"])
    writer.writerow([TOPIC, WEBINAR_ID, START.strftime("%m/%d/%Y %I:%M:%S %p"), "95"])
    writer.writerow(["Host Details"])
    writer.writerow(["Attended", "User Name (Original Name)", "Email", "Join Time"])
    writer.writerow(["Yes", "Host", "host@tuni.fi", START.strftime("%m/%d/%Y %I:%M:%S %p")])
    writer.writerow(["Attendee Details"])
    writer.writerow(
        [
            "Attended",
            "User Name (Original Name)",
            "First Name",
            "Last Name",
            "Email",
            "Registration Time",
            "Approval Status",
            "Join Time",
            "Leave Time",
            "Time in Session (minutes)",
            "Is Guest",
            "Country/Region Name",
        ]
    )
    for attended, name, email, join, minutes in people(rows):
        first, last = name.split()
        us = join.strftime("%m/%d/%Y %I:%M:%S %p")
        left = (join + timedelta(minutes=minutes)).strftime("%m/%d/%Y %I:%M:%S %p")
        if attended == "No":
            writer.writerow(["No", name, first, last, email, us, "approved"] + ["--"] * 5)
        else:
            writer.writerow(
                [
                    "Yes",
                    name,
                    first,
                    last,
                    email,
                    us,
                    "approved",
                    us,
                    left,
                    minutes,
                    "No",
                    "Finland",
                ]
            )
    return out.getvalue().encode("utf-8-sig")


def native_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", "email", "name", "occurred_at", "webinar_id", "title", "notes"])
    for attended, name, email, join, minutes in people(rows):
        kind = "webinar_attended" if attended == "Yes" else "webinar_registered"
        at = join.replace(tzinfo=HELSINKI).isoformat()
        writer.writerow([kind, email, name, at, WEBINAR_ID, TOPIC, f"Attended {minutes} min"])
    return out.getvalue().encode()


def timed_import(body: bytes) -> tuple[float, int, int, str]:
    """Seconds, touchpoints recorded, customers created, mapping: in a fresh database."""
    database_url, name = fresh_database()
    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(settings_from(bench_env(database_url, Path(tmp))))
        try:
            assert services.import_log is not None
            importer = Importer(services.crm, services.import_log)
            started = time.monotonic()
            report, _ = import_file(importer, io.BytesIO(body), ImportRequest("bench", "bench"))
            elapsed = time.monotonic() - started
        finally:
            services.close()
    drop_database(with_database(server_url(), "postgres"), name)
    return elapsed, report.recorded, report.customers_created, report.mapping


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores")
    zoom, native = zoom_report(args.rows), native_csv(args.rows)
    print(
        f"{args.rows:,} attendee rows: Zoom report {len(zoom) / 1e6:.1f} MB, native CSV "
        f"{len(native) / 1e6:.1f} MB"
    )
    rates = {}
    for label, body in (("native CSV", native), ("Zoom report", zoom)):
        seconds, recorded, created, mapping = timed_import(body)
        rates[label] = args.rows / seconds
        print(
            f"  {label} ({mapping}): {seconds:.1f} s, {rates[label]:,.0f} file rows/s,"
            f" {recorded:,} touchpoints, {created:,} new customers"
        )
    print(f"  ratio Zoom report / native CSV: {rates['Zoom report'] / rates['native CSV']:.3f}")


if __name__ == "__main__":
    main()
