"""The users use cases over the PostgreSQL user store: tokens, passwords, revocation."""

from __future__ import annotations

import pytest

from api.bootstrap.wiring import Services
from crm.adapters.postgres.users import PostgresUserStore
from crm.application.users import Role, User, UserExistsError, Users, WeakPasswordError
from tests.factories import unique

PASSWORD = "correct horse battery"


@pytest.fixture
def users(services: Services) -> Users:
    return Users(PostgresUserStore(services.pool))


def test_a_new_users_token_and_password_both_sign_it_in(users: Users) -> None:
    name = unique("user")
    token = users.add(name, Role.MARKETING, PASSWORD)

    assert users.by_token(token) == User(name, Role.MARKETING)
    assert users.authenticate(name, PASSWORD) == User(name, Role.MARKETING)
    assert users.authenticate(name, PASSWORD + "!") is None


def test_a_revoked_user_signs_in_no_more_and_its_name_stays_taken(users: Users) -> None:
    name = unique("user")
    token = users.add(name, Role.DPO, PASSWORD)

    assert users.revoke(name)

    assert users.by_token(token) is None
    assert users.by_name(name) is None
    assert users.authenticate(name, PASSWORD) is None
    assert (name, Role.DPO.value, True) in users.list()
    with pytest.raises(UserExistsError):
        users.add(name, Role.DPO)


def test_a_short_password_is_refused_before_anything_is_stored(users: Users) -> None:
    name = unique("user")
    with pytest.raises(WeakPasswordError):
        users.add(name, Role.ADMIN, "short")
    assert users.by_name(name) is None
