"""Probable duplicates of one customer, looked up by the directory's indexed keys, find every
kind of evidence the candidate scorer lists, written the ways people write them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from api.bootstrap.wiring import Services
from projections.duplicates.candidates import Evidence
from projections.duplicates.flags import duplicate_flags
from projections.engine.runner import wait_until_caught_up
from projections.views.directory import CustomerDirectory
from projections.views.organisations import Organisations
from tests.factories import register


def letters() -> str:
    return "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:8])


def digits() -> str:
    return f"{uuid.uuid4().int % 10**7:07d}"


def variants() -> list[tuple[dict[str, Any], dict[str, Any], Evidence]]:
    first, last, number = letters(), letters(), digits()
    name = f"{first.title()}-{last.title()} O'Neill"
    return [
        (
            {"email": f"{first}.{last}@yritys.fi"},
            {"email": f"{first}_{last}2+news@gmail.com"},
            Evidence.EMAIL_LOCAL_PART_VARIANT,
        ),
        ({"phone": f"+358 40 {number}"}, {"phone": f"040-{number}"}, Evidence.SAME_PHONE),
        ({"phone": f"00358 (50) {number}"}, {"phone": f"050 {number}"}, Evidence.SAME_PHONE),
        (
            {"name": f"{first.title()} {last.title()}"},
            {"email": f"{first}.{last}@gmail.com"},
            Evidence.NAME_MATCHES_EMAIL,
        ),
        (
            {"email": f"{first}{last}@gmail.com"},
            {"name": f"{first.upper()} {last.upper()}"},
            Evidence.NAME_MATCHES_EMAIL,
        ),
        ({"name": name}, {"name": name.replace("-", " ").lower()}, Evidence.SAME_NAME),
    ]


@pytest.mark.parametrize("case", range(6))
def test_the_flags_of_one_customer_find_its_probable_duplicate(
    services: Services, case: int
) -> None:
    first, second, evidence = variants()[case]
    defaults = {"name": f"{letters().title()} {letters().title()}", "email": None, "phone": None}
    one = register(services.crm, **{**defaults, **first})
    defaults["name"] = f"{letters().title()} {letters().title()}"
    other = register(services.crm, **{**defaults, **second})
    wait_until_caught_up(services.projector, services.views.refresh())
    flags, _ = duplicate_flags(
        services.views.get(CustomerDirectory), services.views.get(Organisations), [one]
    )
    if evidence is Evidence.SAME_NAME:
        # A name alone pairs no one; the key still brings the namesake to be compared.
        assert flags.pairs == [] and flags.compared >= 2
        return
    [pair] = [p for p in flags.pairs if {p.first, p.second} == {one, other}]
    assert evidence in pair.evidence
    assert (flags.checked, flags.to_check) == (1, 1)
