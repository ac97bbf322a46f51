"""Single sign-on picks one role for a user granted several: every role has a place."""

from __future__ import annotations

from api.services.single_sign_on import ROLE_PRECEDENCE
from crm.application.users import Role


def test_every_role_has_a_place_in_the_precedence_once() -> None:
    assert sorted(ROLE_PRECEDENCE) == sorted(Role)
    assert len(set(ROLE_PRECEDENCE)) == len(ROLE_PRECEDENCE)
