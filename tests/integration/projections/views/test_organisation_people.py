"""The organisation view's people: names from the directory, the latest role, erasure."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from api.bootstrap.wiring import Services
from projections.engine.merges import MergeMap
from projections.views.directory import CustomerDirectory
from projections.views.organisations import Organisations
from tests.factories import day, provenance, register, unique

WAIT = 20.0


def test_people_carry_the_latest_role_and_erasure_clears_role_and_name(
    services: Services,
) -> None:
    crm = services.crm
    organisation = register(crm, kind="organisation", name=unique("Org"))
    person = register(crm, name=unique("Person"))
    crm.start_affiliation(person, provenance(day(1)), organisation, "Trainee")
    crm.end_affiliation(person, provenance(day(2)), organisation)
    position = crm.start_affiliation(person, provenance(day(3)), organisation, "Engineer").position
    organisations = services.views.get(Organisations)
    directory = services.views.get(CustomerDirectory)
    assert organisations.wait_for(position, WAIT) and directory.wait_for(position, WAIT)

    [row] = organisations.people(organisation, directory, services.views.get(MergeMap), 50)
    assert (row["person_id"], row["role"]) == (person, "Engineer")
    assert row["name"].startswith("Person-")
    [employer] = organisations.employers(person, directory, services.views.get(MergeMap))
    assert employer["organisation_id"] == organisation
    assert employer["name"].startswith("Org-")

    request = services.privacy.erase_customer(
        person, "dpo", "asked to be forgotten", uuid4(), datetime.now(UTC)
    )
    assert request is not None
    head = crm.recorder.max_notification_id()
    assert organisations.wait_for(head, WAIT) and directory.wait_for(head, WAIT)
    [erased] = organisations.people(organisation, directory, services.views.get(MergeMap), 50)
    assert (erased["role"], erased["name"], erased["person_erased"]) == (None, None, True)
