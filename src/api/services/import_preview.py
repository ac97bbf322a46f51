"""An import looked at before it runs: what the file was recognised as, how its columns map,
its first rows exactly as they would be recorded, and a dry run's report of the whole file."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import IO, Any

from api.bootstrap.wiring import Services
from crm.application.import_formats import ColumnMapping, RowError, open_import
from crm.application.imports import (
    Importer,
    ImportReport,
    ImportRequest,
    ImportRow,
    catalogue_lookup,
    import_file,
    parse_row,
)
from crm.domain.events import TOUCHPOINT_KINDS

PREVIEW_ROWS = 10


@dataclass(frozen=True)
class PreviewRow:
    """A row of the file as the import reads it: the touchpoint to record, or its problem."""

    line: int
    row: ImportRow | None
    error: RowError | None

    @property
    def kind(self) -> str:
        """The touchpoint kind the row records, by its vocabulary name."""
        if self.row is None:
            return ""
        return next(name for name, cls in TOUCHPOINT_KINDS.items() if cls is self.row.kind)

    @property
    def fields(self) -> dict[str, Any]:
        """The touchpoint's own fields that hold a value."""
        if self.row is None:
            return {}
        return {name: value for name, value in self.row.fields.items() if value is not None}


@dataclass
class ImportPreview:
    """What an import of the file would do."""

    file_format: str
    encoding: str
    mapping: ColumnMapping
    columns: list[tuple[str, str]] = field(default_factory=list)
    """The file's columns and the field each becomes (a meeting report's own reading aside)."""
    rows: list[PreviewRow] = field(default_factory=list)
    report: ImportReport | None = None


def preview_import(
    services: Services, stream: IO[bytes], request: ImportRequest, rows: int = PREVIEW_ROWS
) -> ImportPreview:
    """Recognise the file, read its first rows as the import would record them, and dry-run
    the whole of it. Raises the import's InvalidFieldError for an unrecognised file."""
    opened = open_import(
        stream,
        mapping=request.mapping,
        file_format=request.file_format,
        options=request.report_options(),
    )
    catalogue = catalogue_lookup(services.crm)
    preview = ImportPreview(opened.file_format, opened.encoding, opened.mapping)
    for line, raw in itertools.islice(opened.rows, rows):
        if isinstance(raw, dict) and not preview.columns:
            preview.columns = [(c, opened.mapping.field_for(c)) for c in raw if c]
        parsed = parse_row(
            line, raw, opened.mapping, request.recorded_by, request.options.time_zone, catalogue
        )
        if isinstance(parsed, RowError):
            preview.rows.append(PreviewRow(line, None, parsed))
        else:
            preview.rows.append(PreviewRow(line, parsed, None))
    stream.seek(0)
    dry = ImportRequest(
        request.source,
        request.recorded_by,
        opened.mapping if opened.mapping.saved else opened.mapping.name,
        opened.file_format,
        request.options,
        dry_run=True,
    )
    preview.report, _ = import_file(Importer(services.crm, services.import_log), stream, dry)
    return preview
