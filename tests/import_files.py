"""Export files as the tools write them, for import tests: built from the vendors' own
descriptions of their reports (Zoom: webinar attendee and registration reports, meeting
participants; Microsoft Teams: attendance report download) and Excel's CSV and .xlsx saves."""

from __future__ import annotations

import io


def zoom_attendee_report(
    attendee: str,
    rejoiner: str,
    absent: str,
    staff: str,
    topic: str = "Tekoäly opetuksessa",
    webinar_id: str = "843 2219 0712",
) -> bytes:
    """A webinar attendee report: preamble, header block, host, panelist and attendee
    sections each with its own header line, US times, Attended Yes/No and a rejoin."""
    attendee_header = (
        "Attended,User Name (Original Name),First Name,Last Name,Email,City,"
        "Country/Region,Phone,Organization,Job Title,Registration Time,Approval Status,"
        "Join Time,Leave Time,Time in Session (minutes),Is Guest,Country/Region Name"
    )
    lines = [
        "Attendee Report",
        'Report Generated:,"03/05/2025 09:12:44 AM"',
        "Topic,Webinar ID,Actual Start Time,Actual Duration (minutes),# Registered,"
        "# Cancelled Registrations,Unique Viewers,Total Users,Max Concurrent Views",
        f'{topic},{webinar_id},"03/04/2025 01:58:02 PM",95,4,0,3,4,3',
        "Host Details",
        "Attended,User Name (Original Name),Email,Join Time,Leave Time,"
        "Time in Session (minutes),Country/Region Name",
        'Yes,Hanna Host,host.person@tuni.fi,"03/04/2025 01:58:02 PM",'
        '"03/04/2025 03:33:10 PM",96,Finland',
        "Panelist Details",
        "Attended,User Name (Original Name),Email,Join Time,Leave Time,"
        "Time in Session (minutes),Country/Region Name",
        f'Yes,Paula Panelist,{staff},"03/04/2025 01:59:40 PM","03/04/2025 03:33:10 PM",94,Finland',
        "Attendee Details",
        attendee_header,
        f"Yes,Aino Aalto,Aino,Aalto,{attendee},Tampere,Finland,,Yritys Oy,CTO,"
        '"02/20/2025 10:15:00 AM",approved,"03/04/2025 02:02:11 PM","03/04/2025 03:30:00 PM",'
        "88,No,Finland",
        f'Yes,Eero Esko,Eero,Esko,{rejoiner},Espoo,Finland,,,,"02/21/2025 08:00:00 AM",'
        'approved,"03/04/2025 02:40:00 PM","03/04/2025 03:10:00 PM",30,No,Finland',
        f'No,Outi Ojala,Outi,Ojala,{absent},Turku,Finland,,,,"02/22/2025 09:30:00 AM",'
        "approved,--,--,--,--,--",
        f'Yes,Eero Esko,Eero,Esko,{rejoiner},Espoo,Finland,,,,"02/21/2025 08:00:00 AM",'
        'approved,"03/04/2025 02:05:00 PM","03/04/2025 02:30:00 PM",25,No,Finland',
        f'Yes,Sanna Staff,Sanna,Staff,{staff},Tampere,Finland,,,,"02/21/2025 08:00:00 AM",'
        'approved,"03/04/2025 02:00:00 PM","03/04/2025 03:30:00 PM",90,No,Finland',
        "",
        "Other Information",
        "Webinar Q&A, Polls and Survey are in their own reports.",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def teams_attendance_report(
    attendee: str, external: str, organiser: str = "org.person@tuni.fi"
) -> bytes:
    """A Teams attendance report download: UTF-16 LE with a byte-order mark, tab-separated,
    "1. Summary", "2. Participants" and "3. In-Meeting Activities", roles, "(External)"
    and "(Guest)" after names, and a guest without an e-mail."""
    rows = [
        ["1. Summary"],
        ["Meeting title", "Kevään avoin webinaari"],
        ["Attended participants", "4"],
        ["Start time", "3/11/25, 8:31:11 AM"],
        ["End time", "3/11/25, 9:45:02 AM"],
        ["Meeting duration", "1h 13m 51s"],
        ["Average attendance time", "52m 3s"],
        [],
        ["2. Participants"],
        [
            "Name",
            "First Join",
            "Last Leave",
            "In-Meeting Duration",
            "Email",
            "Participant ID (UPN)",
            "Role",
        ],
        [
            "Olli Organisoija",
            "3/11/25, 8:31:11 AM",
            "3/11/25, 9:45:02 AM",
            "1h 13m 51s",
            organiser,
            organiser,
            "Organizer",
        ],
        [
            "Pirkko Puhuja",
            "3/11/25, 8:32:00 AM",
            "3/11/25, 9:45:02 AM",
            "1h 13m 2s",
            "pirkko.puhuja@example.fi",
            "pirkko.puhuja@example.fi",
            "Presenter",
        ],
        [
            "Maija Meikäläinen",
            "3/11/25, 8:35:20 AM",
            "3/11/25, 9:40:00 AM",
            "1h 4m 40s",
            attendee,
            attendee,
            "Attendee",
        ],
        [
            "Ulla Ulkopuolinen (External)",
            "3/11/25, 8:40:00 AM",
            "3/11/25, 9:20:00 AM",
            "40m 0s",
            external,
            external,
            "Attendee",
        ],
        [
            "Vieras Henkilö (Guest)",
            "3/11/25, 8:45:00 AM",
            "3/11/25, 9:00:00 AM",
            "15m",
            "",
            "",
            "Attendee",
        ],
        [],
        ["3. In-Meeting Activities"],
        ["Name", "Join Time", "Leave Time", "Duration", "Email", "Role"],
        [
            "Maija Meikäläinen",
            "3/11/25, 8:35:20 AM",
            "3/11/25, 9:00:00 AM",
            "24m 40s",
            attendee,
            "Attendee",
        ],
        [
            "Maija Meikäläinen",
            "3/11/25, 9:05:00 AM",
            "3/11/25, 9:40:00 AM",
            "35m",
            attendee,
            "Attendee",
        ],
    ]
    text = "\r\n".join("\t".join(row) for row in rows) + "\r\n"
    return text.encode("utf-16")


def fair_list(emails: list[str], fair: str) -> str:
    """A fair's visitor list as Finnish Excel's "CSV (semicolon delimited)" writes it."""
    lines = ["Etunimi;Sukunimi;Sähköposti;Puhelin;Messut;Käyntiaika;Lisätiedot"]
    for number, email in enumerate(emails):
        lines.append(f"Äijö;Öhman;{email};;{fair};14.3.2025 10.{number % 60:02d};Kysyi hinnoista")
    return "\r\n".join(lines) + "\r\n"


def course_workbook(emails: list[str]) -> bytes:
    """A course completion list saved by Excel as .xlsx."""
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Student name", "Student email", "Course", "ECTS", "Completion date"])
    for email in emails:
        sheet.append(["Liisa Lähde", email, "Tekoälyn perusteet", 5, datetime(2025, 5, 30, 12)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zoom_meeting_participants(host: str, participant: str) -> bytes:
    """Zoom's meeting participants export "with meeting data": the meeting's own header
    block (its host's e-mail in `User Email`), a blank line, then one row per join."""
    lines = [
        "Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants",
        f'"812 3456 7890",Yritysilta-aamu,"03/18/2025 08:55:10 AM","03/18/2025 10:02:45 AM",'
        f"{host},68,3",
        "",
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest",
        f'Hanna Host,{host},"03/18/2025 08:55:10 AM","03/18/2025 10:02:45 AM",68,No',
        f'Pekka Paananen,{participant},"03/18/2025 09:01:00 AM","03/18/2025 09:20:00 AM",19,Yes',
        'Puhelinsoittaja,,"03/18/2025 09:03:00 AM","03/18/2025 09:50:00 AM",47,Yes',
        f'Pekka Paananen,{participant},"03/18/2025 09:25:00 AM","03/18/2025 10:00:00 AM",35,Yes',
    ]
    return ("\n".join(lines) + "\n").encode()


def zoom_registration_report(registrant: str) -> bytes:
    """Zoom's webinar registration report: preamble, header block, registrants."""
    lines = [
        "Registration Report",
        'Report Generated:,"02/28/2025 04:00:00 PM"',
        "Topic,Webinar ID,Scheduled Start Time,# Registered",
        'Tekoäly opetuksessa,843 2219 0712,"03/04/2025 02:00:00 PM",1',
        "Registrant Details",
        "First Name,Last Name,Email,Organization,Registration Time,Approval Status",
        f'Outi,Ojala,{registrant},Kunta,"02/22/2025 09:30:00 AM",approved',
    ]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def moodle_completion_report(
    completed: list[str], incomplete: str, *, excel: bool = False
) -> bytes:
    """Moodle's course completion report (report/completion, "Download in spreadsheet
    format"): ID, Name, the identity column Email address, an activity criterion with its
    completion date, a grade criterion, and Course complete last (empty while not completed).
    `excel` saves it as Moodle's "Excel-compatible" download does: UTF-16 with tabs."""
    header = [
        "ID",
        "Name",
        "Email address",
        "Tehtävä 1",
        "Tehtävä 1 - Completion date",
        "Course grade",
        "Course complete",
    ]
    rows = [header]
    for number, email in enumerate(completed, start=3):
        date = f"{number:02d}/06/25, 14:3{number % 10}"
        rows.append(
            [str(100 + number), f"Liisa Lähde{number}", email, "Completed", date, date, date]
        )
    rows.append(["199", "Keskeneräinen Kalle", incomplete, "Not completed", "", "", ""])
    if excel:
        text = "\r\n".join("\t".join(f'"{v}"' for v in row) for row in rows) + "\r\n"
        return text.encode("utf-16")
    return ("\n".join(",".join(f'"{v}"' for v in row) for row in rows) + "\n").encode()


MOODLE_EXPORTED_AT = 1749045600
"""The grades export's `Last downloaded from this course`: 2025-06-04 14:00 UTC."""


def moodle_grades_workbook(graded: list[str], ungraded: str) -> bytes:
    """Moodle's grades export to Excel (.xlsx): the user fields, Suspended, an assignment and
    the course total as real and letter, and the time of the export."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        ["First name", "Last name", "ID number", "Institution", "Department", "Email address",
         "Assignment: Essee (Real)", "Course total (Real)", "Course total (Letter)",
         "Last downloaded from this course"]
    )  # fmt: skip
    for number, email in enumerate(graded):
        sheet.append(["Maija", f"Meikäläinen{number}", "", "Yritys Oy", "", email, "8,00",
                      "84,00", "4", MOODLE_EXPORTED_AT])  # fmt: skip
    sheet.append(["Ville", "Vailla", "", "", "", ungraded, "-", "-", "-", MOODLE_EXPORTED_AT])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def lms_completion_list(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    """A learning platform's completion list as Finnish Excel saves CSV: semicolons, a
    byte-order mark, Finnish headers and decimal commas. Each row: (e-mail, course code,
    completion day d.m.yyyy, credits, grade)."""
    lines = ["Sähköposti;Opintojakson tunnus;Suorituspäivä;Opintopisteet;Arvosana"]
    lines += [";".join(row) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()
