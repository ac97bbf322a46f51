"""Recognising exports by their content: encodings, separators, vendors' sectioned reports,
workbooks, and bad input that becomes row errors instead of a crash."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest

from crm.application.import_formats import (
    ReportOptions,
    RowError,
    UnrecognisedFormatError,
    open_import,
)
from crm.application.import_formats.text import sniff_encoding
from crm.application.imports import MAPPINGS, ImportRow, parse_row
from crm.domain.calendar import HELSINKI
from tests.import_files import (
    course_workbook,
    fair_list,
    teams_attendance_report,
    zoom_attendee_report,
    zoom_meeting_participants,
    zoom_registration_report,
)

OPTIONS = ReportOptions(HELSINKI, ("tuni.fi",))


def opened_rows(
    body: bytes, mapping: str | None = None, options: ReportOptions = OPTIONS
) -> tuple[str, list[tuple[int, dict[str, str] | RowError]]]:
    opened = open_import(io.BytesIO(body), mapping=mapping, options=options)
    return opened.mapping.name, list(opened.rows)


def test_a_zoom_attendee_report_is_recognised_and_read_for_what_it_means() -> None:
    name, rows = opened_rows(
        zoom_attendee_report(
            "aino@example.fi", "eero@example.com", "outi@example.fi", "sanna.staff@tuni.fi"
        )
    )
    assert name == "zoom_webinar_attendees"
    people = {raw["email"]: raw for _, raw in rows if isinstance(raw, dict)}
    # Hosts, panelists and the provider's own staff are not customers.
    assert set(people) == {"aino@example.fi", "eero@example.com", "outi@example.fi"}
    assert people["aino@example.fi"] | {} == {
        "kind": "webinar_attended",
        "email": "aino@example.fi",
        "name": "Aino Aalto",
        "webinar_id": "843 2219 0712",
        "title": "Tekoäly opetuksessa",
        "occurred_at": "2025-03-04T14:02:11+02:00",
        "notes": "Attended 88 min",
    }
    # Registered but absent: a registration without attendance, at the registration time.
    assert people["outi@example.fi"]["kind"] == "webinar_registered"
    assert people["outi@example.fi"]["occurred_at"] == "2025-02-22T09:30:00+02:00"
    # A rejoin is one attendance: the first join and the total time.
    eero = people["eero@example.com"]
    assert (eero["occurred_at"], eero["notes"]) == (
        "2025-03-04T14:05:00+02:00",
        "Attended 55 min in 2 sessions",
    )
    assert all(raw["title"] == "Tekoäly opetuksessa" for raw in people.values())


def test_report_times_are_read_in_the_exporting_accounts_time_zone() -> None:
    options = ReportOptions(ZoneInfo("America/New_York"), ("tuni.fi",))
    _, rows = opened_rows(
        zoom_attendee_report("a@example.fi", "b@example.fi", "c@example.fi", "s@tuni.fi"),
        options=options,
    )
    first = rows[0][1]
    assert isinstance(first, dict)
    assert first["occurred_at"] == "2025-03-04T14:02:11-05:00"


def test_a_teams_attendance_report_in_utf16_with_tabs_is_read() -> None:
    body = teams_attendance_report("maija@example.fi", "ulla@example.com")
    assert body.startswith(b"\xff\xfe")
    name, rows = opened_rows(body)
    assert name == "teams_attendance"
    people = [raw for _, raw in rows if isinstance(raw, dict)]
    # Organiser and presenter are not customers; the activities section adds no rows.
    assert [(p["email"], p["name"]) for p in people] == [
        ("maija@example.fi", "Maija Meikäläinen"),
        ("ulla@example.com", "Ulla Ulkopuolinen"),
    ]
    assert people[0]["occurred_at"] == "2025-03-11T08:35:20+02:00"
    assert people[0]["title"] == "Kevään avoin webinaari"
    assert people[0]["notes"] == "Attended 65 min"
    errors = [raw for _, raw in rows if isinstance(raw, RowError)]
    assert [(e.line, e.field, e.reason) for e in errors] == [
        (15, "email", "is missing (a guest without an e-mail)")
    ]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8", "utf-8-sig", "utf-16-le", "utf-16-be"])
def test_a_finnish_fair_list_is_read_in_every_encoding_excel_writes(encoding: str) -> None:
    text = fair_list(["a@example.fi", "b@example.fi"], "Studia 2025")
    body = text.encode(encoding)
    if encoding.startswith("utf-16"):
        body = ("\ufeff" + text).encode(encoding)
    name, rows = opened_rows(body)
    assert name == "fair_visitors"
    assert [raw["Etunimi"] for _, raw in rows if isinstance(raw, dict)] == ["Äijö", "Äijö"]
    assert [line for line, _ in rows] == [2, 3]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_native_csv_is_recognised_with_any_separator(delimiter: str) -> None:
    header = delimiter.join(["kind", "email", "occurred_at", "page"])
    row = delimiter.join(["web_service_visited", "x@example.fi", "2025-03-01", "/a"])
    name, rows = opened_rows(f"{header}\n{row}\n".encode())
    assert name == "native"
    assert rows == [
        (
            2,
            {
                "kind": "web_service_visited",
                "email": "x@example.fi",
                "occurred_at": "2025-03-01",
                "page": "/a",
            },
        )
    ]


def test_an_excel_workbook_is_read_from_its_first_sheet() -> None:
    name, rows = opened_rows(course_workbook(["l@example.fi"]))
    assert name == "course_completions"
    ((line, raw),) = rows
    assert isinstance(raw, dict)
    assert (line, raw["ECTS"], raw["Completion date"]) == (2, "5", "2025-05-30T12:00:00")
    parsed = parse_row(line, raw, MAPPINGS[name], "anna.am")
    assert isinstance(parsed, ImportRow) and parsed.fields["credits"] == 5


def test_a_named_mapping_overrides_the_guess() -> None:
    body = (
        b"First Name,Last Name,Email,Join Time,Webinar ID,Topic\nA,B,a@example.fi,2025-03-04,1,T\n"
    )
    assert opened_rows(body)[0] == "webinar_attendees"
    assert opened_rows(body, mapping="native")[0] == "native"


def test_a_file_of_unknown_columns_asks_for_a_mapping() -> None:
    with pytest.raises(UnrecognisedFormatError) as raised:
        opened_rows(b"foo,bar\n1,2\n")
    assert raised.value.field == "mapping"


def native(*rows: str) -> bytes:
    return ("kind,email,name,occurred_at,page\n" + "".join(rows)).encode()


GOOD = "web_service_visited,ok@example.fi,Ok,2025-03-01,/ok\n"


def errors_and_good_lines(body: bytes) -> tuple[list[tuple[int, str, str]], list[int]]:
    _, rows = opened_rows(body)
    errors = [(e.line, e.field, e.reason) for _, e in rows if isinstance(e, RowError)]
    return errors, [line for line, raw in rows if isinstance(raw, dict)]


def test_an_over_long_line_is_a_row_error_and_the_rows_after_it_are_read() -> None:
    huge = "web_service_visited,x@example.fi," + "n" * (3 << 20) + ",2025-03-01,/x\n"
    errors, good = errors_and_good_lines(native(GOOD, huge, GOOD))
    assert errors == [(3, "row", "is longer than 1 MiB")]
    assert good == [2, 4]


def test_a_field_over_128_kib_is_a_row_error() -> None:
    big = 'web_service_visited,x@example.fi,"' + "n" * (200 * 1024) + '",2025-03-01,/x\n'
    errors, good = errors_and_good_lines(native(GOOD, big, GOOD))
    assert [(line, field) for line, field, _ in errors] == [(3, "row")]
    assert "128 KiB" in errors[0][2]
    assert good == [2, 4]


def test_a_quote_that_is_never_closed_is_a_row_error() -> None:
    broken = 'web_service_visited,x@example.fi,"Broken,2025-03-01,/x\n'
    errors, good = errors_and_good_lines(native(GOOD, broken, GOOD, GOOD))
    assert errors == [(3, "row", "has a quote that is not closed (to line 5)")]
    assert good == [2]


def test_undecodable_bytes_make_their_line_a_row_error() -> None:
    # The first 64 KiB decode, so the file is read as UTF-8; the bad bytes come later.
    body = native(GOOD * 2000) + b"web_service_visited,x@example.fi,\xff\xfe,2025-03-01,/x\n"
    errors, good = errors_and_good_lines(body + GOOD.encode())
    assert errors == [(2002, "row", "is not valid UTF-8 text")]
    assert len(good) == 2001


def test_a_nul_in_a_new_customers_name_is_a_row_error() -> None:
    _, rows = opened_rows(native("web_service_visited,x@example.fi,Ma\0ija,2025-03-01,/x\n"))
    ((line, raw),) = rows
    assert isinstance(raw, dict)
    error = parse_row(line, raw, MAPPINGS["native"], "anna.am")
    assert error == RowError(2, "name", "contains a NUL character")


def test_zoom_meeting_participants_skip_the_host_and_fold_rejoins() -> None:
    name, rows = opened_rows(zoom_meeting_participants("host@example.org", "pekka@example.fi"))
    assert name == "zoom_meeting_participants"
    people = [raw for _, raw in rows if isinstance(raw, dict)]
    assert [(p["email"], p["webinar_id"], p["title"]) for p in people] == [
        ("pekka@example.fi", "812 3456 7890", "Yritysilta-aamu")
    ]
    assert people[0]["occurred_at"] == "2025-03-18T09:01:00+02:00"
    assert people[0]["notes"] == "Attended 54 min in 2 sessions"
    assert [(line, e.field) for line, e in rows if isinstance(e, RowError)] == [(7, "email")]
    # Rows come in line order whatever was folded, so an import resumes after any of them.
    assert [line for line, _ in rows] == [6, 7]


def test_a_zoom_registration_report_records_registrations() -> None:
    name, rows = opened_rows(zoom_registration_report("outi@example.fi"))
    assert name == "zoom_webinar_registrations"
    assert rows == [
        (
            7,
            {
                "kind": "webinar_registered",
                "email": "outi@example.fi",
                "name": "Outi Ojala",
                "webinar_id": "843 2219 0712",
                "title": "Tekoäly opetuksessa",
                "occurred_at": "2025-02-22T09:30:00+02:00",
            },
        )
    ]


def test_a_windows_1252_letter_at_the_end_of_a_short_file_is_not_taken_for_cut_utf8() -> None:
    assert sniff_encoding("email;nimi\r\na@b.fi;ä\r\n".encode("cp1252")) == "cp1252"
    assert sniff_encoding("email;nimi\r\na@b.fi;ä".encode()[:-1]) == "utf-8"
