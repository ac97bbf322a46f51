"""Web sessions kept on the server: signing out, revoking a user or one session, and a change
of password or role end them at once, in every process; idle and absolute timeouts."""

from __future__ import annotations

import base64
import dataclasses
import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from api.http.app import create_app
from api.worker.scheduler import run_session_purge
from crm.adapters.postgres.web_sessions import PostgresWebSessionStore
from crm.application.users import Role
from crm.application.web_sessions import WebSessions
from tests.api.web_client import new_user, page_csrf, sign_in

pytestmark = pytest.mark.postgres
SIGNED_IN_PAGE = "/ui/segments"


def copy_of(client: TestClient, app: FastAPI) -> TestClient:
    """Another browser holding the same cookie (as a thief of the cookie would)."""
    thief = TestClient(app, follow_redirects=False)
    thief.cookies.set("crm_session", client.cookies["crm_session"])
    return thief


def test_the_cookie_holds_a_session_id_not_the_user_name(app: FastAPI, services: Services) -> None:
    name = new_user(services, Role.MARKETING)
    client = sign_in(app, name)
    cookie = client.cookies["crm_session"]
    assert name not in cookie

    payload = cookie.split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert name.encode() not in decoded


def test_signing_out_ends_the_session_for_a_copied_cookie_too(
    app: FastAPI, services: Services
) -> None:
    client = sign_in(app, new_user(services, Role.MARKETING))
    thief = copy_of(client, app)
    assert thief.get(SIGNED_IN_PAGE).status_code == 200
    assert client.post("/ui/logout", data={"csrf_token": page_csrf(client)}).status_code == 303
    assert thief.get(SIGNED_IN_PAGE).status_code == 401, "the old cookie no longer signs in"
    assert client.get(SIGNED_IN_PAGE).status_code == 401


def test_a_password_change_ends_every_session_of_the_user(app: FastAPI, services: Services) -> None:
    name = new_user(services, Role.MARKETING)
    first, second = sign_in(app, name), sign_in(app, name)
    services.users.set_password(name, "another long password")
    assert first.get(SIGNED_IN_PAGE).status_code == 401
    assert second.get(SIGNED_IN_PAGE).status_code == 401
    assert sign_in(app, name, "another long password").get(SIGNED_IN_PAGE).status_code == 200


def test_a_role_change_ends_the_users_sessions(app: FastAPI, services: Services) -> None:
    name = new_user(services, Role.MARKETING)
    client = sign_in(app, name)
    admin = sign_in(app, new_user(services, Role.ADMIN))
    changed = admin.post(
        f"/ui/admin/users/{name}/role", data={"role": "dpo", "csrf_token": page_csrf(admin)}
    )
    assert changed.status_code == 303
    assert client.get(SIGNED_IN_PAGE).status_code == 401
    again = sign_in(app, name)
    assert again.get(SIGNED_IN_PAGE).status_code == 403, "now a DPO, who has no segments"
    assert again.get("/ui/privacy/consent-audit").status_code == 200


def test_the_same_role_again_keeps_the_sessions(app: FastAPI, services: Services) -> None:
    name = new_user(services, Role.MARKETING)
    client = sign_in(app, name)
    assert services.users.set_role(name, Role.MARKETING)
    assert client.get(SIGNED_IN_PAGE).status_code == 200


def test_revoking_the_user_ends_the_session(app: FastAPI, services: Services) -> None:
    name = new_user(services, Role.MARKETING)
    client = sign_in(app, name)
    services.users.revoke(name)
    assert client.get(SIGNED_IN_PAGE).status_code == 401


def test_an_admin_lists_a_users_sessions_and_ends_one(app: FastAPI, services: Services) -> None:
    name = new_user(services, Role.MARKETING)
    first, second = sign_in(app, name), sign_in(app, name)
    admin = sign_in(app, new_user(services, Role.ADMIN))
    admin.cookies.set("crm_lang", "en")
    page = admin.get(f"/ui/admin/users/{name}/sessions")
    assert page.status_code == 200
    numbers = re.findall(rf"/ui/admin/users/{name}/sessions/(\d+)/revoke", page.text)
    assert len(numbers) == 2
    newest = max(int(n) for n in numbers)
    ended = admin.post(
        f"/ui/admin/users/{name}/sessions/{newest}/revoke",
        data={"csrf_token": page_csrf(admin)},
    )
    assert ended.status_code == 303
    assert second.get(SIGNED_IN_PAGE).status_code == 401, "the newest session ended"
    assert first.get(SIGNED_IN_PAGE).status_code == 200, "the other one goes on"
    listed = admin.get(f"/ui/admin/users/{name}/sessions").text
    assert len(re.findall(r"/sessions/(\d+)/revoke", listed)) == 1


def test_an_admin_may_not_end_another_users_session_by_its_number(
    app: FastAPI, services: Services
) -> None:
    name, other = new_user(services, Role.MARKETING), new_user(services, Role.MARKETING)
    client = sign_in(app, name)
    admin = sign_in(app, new_user(services, Role.ADMIN))
    page = admin.get(f"/ui/admin/users/{name}/sessions").text
    number = re.findall(r"/sessions/(\d+)/revoke", page)[0]
    admin.post(
        f"/ui/admin/users/{other}/sessions/{number}/revoke", data={"csrf_token": page_csrf(admin)}
    )
    assert client.get(SIGNED_IN_PAGE).status_code == 200


def app_with_timeouts(services: Services, idle: timedelta, absolute: timedelta) -> FastAPI:
    sessions = WebSessions(PostgresWebSessionStore(services.pool), idle=idle, absolute=absolute)
    changed = dataclasses.replace(services, web_sessions=sessions)
    app = create_app(services=changed)
    app.state.services = changed
    return app


def age_session(services: Services, name: str, started: str, last_seen: str) -> None:
    with services.pool.connection() as conn:
        conn.execute(
            "UPDATE web_sessions SET started_at = now() - %s::interval,"
            " last_seen_at = now() - %s::interval WHERE user_name = %s",
            (started, last_seen, name),
        )


def test_a_session_unused_past_the_idle_timeout_ends(services: Services) -> None:
    app = app_with_timeouts(services, timedelta(minutes=30), timedelta(hours=8))
    name = new_user(services, Role.MARKETING)
    client = sign_in(app, name)
    age_session(services, name, "20 minutes", "20 minutes")
    assert client.get(SIGNED_IN_PAGE).status_code == 200, "used within the idle time"
    age_session(services, name, "40 minutes", "31 minutes")
    assert client.get(SIGNED_IN_PAGE).status_code == 401


def test_a_busy_session_ends_at_the_absolute_timeout(services: Services) -> None:
    app = app_with_timeouts(services, timedelta(minutes=30), timedelta(hours=8))
    name = new_user(services, Role.MARKETING)
    client = sign_in(app, name)
    age_session(services, name, "7 hours 59 minutes", "1 minute")
    assert client.get(SIGNED_IN_PAGE).status_code == 200
    age_session(services, name, "8 hours 1 minute", "1 minute")
    assert client.get(SIGNED_IN_PAGE).status_code == 401


def test_use_keeps_a_session_alive(services: Services) -> None:
    app = app_with_timeouts(services, timedelta(minutes=30), timedelta(hours=8))
    name = new_user(services, Role.MARKETING)
    client = sign_in(app, name)
    age_session(services, name, "25 minutes", "25 minutes")
    assert client.get(SIGNED_IN_PAGE).status_code == 200  # records the use
    with services.pool.connection() as conn:
        row = conn.execute(
            "SELECT now() - last_seen_at < interval '1 minute' FROM web_sessions"
            " WHERE user_name = %s",
            (name,),
        ).fetchone()
    assert row is not None and row[0]


def test_the_session_table_holds_no_usable_id(app: FastAPI, services: Services) -> None:
    name = new_user(services, Role.MARKETING)
    client = sign_in(app, name)
    with services.pool.connection() as conn:
        stored = conn.execute(
            "SELECT id_hash FROM web_sessions WHERE user_name = %s", (name,)
        ).fetchone()
    assert stored is not None and stored[0] not in client.cookies["crm_session"]


def test_sessions_past_their_absolute_timeout_are_deleted_by_the_worker_job(
    services: Services,
) -> None:
    app = app_with_timeouts(services, timedelta(minutes=30), timedelta(hours=8))
    old, ended, recent = (new_user(services, Role.MARKETING) for _ in range(3))
    for name in (old, recent):
        sign_in(app, name)
    leaving = sign_in(app, ended)
    assert leaving.post("/ui/logout", data={"csrf_token": page_csrf(leaving)}).status_code == 303
    age_session(services, old, "8 hours 1 minute", "1 minute")
    age_session(services, ended, "9 hours", "9 hours")
    assert run_session_purge(app.state.services) >= 2
    with services.pool.connection() as conn:
        kept = conn.execute(
            "SELECT user_name FROM web_sessions WHERE user_name = ANY(%s)", ([old, ended, recent],)
        ).fetchall()
    assert [row[0] for row in kept] == [recent]
