"""Fenced speed-ups: where the write path departs from a library's own, each tested against it.

Each module says in `CHECKED_AGAINST` which releases it was compared with; a test fails when
the installed or pinned release differs (tests/unit/crm/speedups/test_checked_releases.py).
"""
