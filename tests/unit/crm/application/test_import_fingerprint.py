"""The import id: one hash of the mapping and the file, however the bytes arrive."""

from __future__ import annotations

import hashlib

from crm.application.imports import ImportFingerprint


def fingerprint_of(mapping: str, *blocks: bytes) -> str:
    fingerprint = ImportFingerprint(mapping)
    for block in blocks:
        fingerprint.update(block)
    return fingerprint.import_id


def test_the_same_file_has_the_same_id_however_it_is_split_into_blocks() -> None:
    body = b"email,occurred_at\nanna@example.fi,2026-03-01\n"
    assert fingerprint_of("native", body) == fingerprint_of("native", body[:7], body[7:])


def test_the_id_keeps_the_format_stored_by_earlier_imports() -> None:
    body = b"email\nanna@example.fi\n"
    stored = hashlib.sha256(b"fair_visitors\n" + body).hexdigest()[:32]
    assert fingerprint_of("fair_visitors", body) == stored


def test_the_same_file_under_another_mapping_is_another_import() -> None:
    body = b"email\nanna@example.fi\n"
    assert fingerprint_of("native", body) != fingerprint_of("fair_visitors", body)
