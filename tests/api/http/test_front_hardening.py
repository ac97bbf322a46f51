"""The web front as an attacker meets it: growing delays after failed sign-ins, password checks
off the event loop, security headers, `Secure` cookies behind a trusted proxy, `no-store` on
answers with personal data, NUL refused in paths and `+json` bodies, e-mails out of URLs."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape

import api
from api.bootstrap.wiring import Services
from api.http.app import create_app
from api.http.sign_in_limits import PER_ADDRESS, PER_NAME, AttemptLimiter
from api.web.i18n import translate
from crm.application.users import Role
from tests.api.web_client import PASSWORD, csrf_of, new_user, page_csrf, sign_in
from tests.import_files import zoom_attendee_report

pytestmark = pytest.mark.postgres


def login_attempt(client: TestClient, name: str, password: str) -> tuple[int, str, dict[str, str]]:
    token = csrf_of(client.get("/ui/login").text)
    response = client.post(
        "/ui/login", data={"name": name, "password": password, "csrf_token": token}
    )
    return response.status_code, response.text, dict(response.headers)


def fresh_app(services: Services, **settings: object) -> FastAPI:
    """An app of its own (its own attempt counts), on settings changed as given."""
    changed = dataclasses.replace(services, settings=services.settings.model_copy(update=settings))
    app = create_app(services=changed)
    app.state.services = changed
    return app


def test_a_user_name_is_delayed_after_its_free_failures_with_429_in_the_uis_language(
    services: Services,
) -> None:
    app = fresh_app(services)
    name = new_user(services, Role.DPO)
    client = TestClient(app, follow_redirects=False, client=("192.0.2.10", 1000))
    client.cookies.set("crm_lang", "en")
    for _ in range(PER_NAME.free + 1):
        status, _, _ = login_attempt(client, name, "wrong password")
        assert status == 401
    status, text, headers = login_attempt(client, name, PASSWORD)
    assert status == 429, "even the right password waits out the delay"
    assert int(headers["retry-after"]) >= 1
    assert translate("en", "login.too_many") in text
    # The delay is the name's: another address is refused for that name too...
    other = TestClient(app, follow_redirects=False, client=("192.0.2.11", 1000))
    assert login_attempt(other, name, PASSWORD)[0] == 429
    # ...while another user from the first address still signs in.
    assert login_attempt(client, new_user(services, Role.DPO), PASSWORD)[0] == 303


def test_a_delayed_address_is_refused_before_its_form_is_read(services: Services) -> None:
    """The refusal costs no routing, no session, no CSRF check and no rendering: even a form
    without a session or a token is answered 429, in the UI's language, with Retry-After."""
    app = fresh_app(services)
    client = TestClient(app, follow_redirects=False, client=("192.0.2.50", 1000))
    for index in range(PER_ADDRESS.free + 1):
        assert login_attempt(client, f"guess-{index}", "wrong password")[0] == 401
    stranger = TestClient(app, follow_redirects=False, client=("192.0.2.50", 1001))
    stranger.cookies.set("crm_lang", "en")
    refused = stranger.post("/ui/login", data={"name": "anyone", "password": "x"})
    assert refused.status_code == 429, "refused before the CSRF check (403)"
    assert int(refused.headers["retry-after"]) >= 1
    assert translate("en", "login.too_many") in refused.text
    assert "set-cookie" not in refused.headers, "no session started for a refusal"
    assert refused.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in refused.headers["content-security-policy"]


def test_a_delayed_name_is_refused_before_routing_from_any_address(services: Services) -> None:
    app = fresh_app(services)
    name = new_user(services, Role.DPO)
    client = TestClient(app, follow_redirects=False, client=("192.0.2.51", 1000))
    for _ in range(PER_NAME.free + 1):
        assert login_attempt(client, name, "wrong password")[0] == 401
    stranger = TestClient(app, follow_redirects=False, client=("192.0.2.52", 1000))
    refused = stranger.post("/ui/login", data={"name": f" {name.upper()} ", "password": PASSWORD})
    assert refused.status_code == 429, "refused before the CSRF check (403)"
    assert translate("fi", "login.too_many") in refused.text
    # A multipart form passes the gate unread; the route refuses it all the same.
    token = csrf_of(stranger.get("/ui/login").text)
    fields = {"name": name, "password": PASSWORD, "csrf_token": token}
    multipart = stranger.post("/ui/login", data=fields, files={"unused": ("a.txt", b"a")})
    assert multipart.status_code == 429
    # A token sign-in is not held to the name's delay.
    with_token = stranger.post("/ui/login", data={**fields, "token": "not-a-token"})
    assert with_token.status_code == 401


def test_a_sign_in_form_with_nul_is_422_after_the_gate_read_it(client: TestClient) -> None:
    token = csrf_of(client.get("/ui/login").text)
    response = client.post(
        "/ui/login",
        content=f"name=a%00b&password=x&csrf_token={token}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 422, response.text


def test_delays_grow_with_each_further_failure() -> None:
    limiter = AttemptLimiter(clock=lambda: 1000.0)
    limiter_keys = limiter.keys(None, "someone")[1:]
    waits = []
    for _ in range(PER_NAME.free + 4):
        limiter.failed(limiter_keys)
        waits.append(limiter.retry_after(limiter_keys))
    assert waits[: PER_NAME.free] == [0] * PER_NAME.free
    assert waits[PER_NAME.free :] == [1, 2, 4, 8]


def test_an_address_trying_many_names_is_delayed(services: Services) -> None:
    app = fresh_app(services)
    client = TestClient(app, follow_redirects=False, client=("192.0.2.20", 1000))
    for index in range(PER_ADDRESS.free + 1):
        assert login_attempt(client, f"guess-{index}", "wrong password")[0] == 401
    status, _, headers = login_attempt(client, new_user(services, Role.DPO), PASSWORD)
    assert status == 429 and "retry-after" in headers


def test_wrong_api_tokens_from_one_address_are_delayed_too(services: Services) -> None:
    app = fresh_app(services)
    client = TestClient(app, client=("192.0.2.30", 1000))
    bad = {"Authorization": "Bearer not-a-token"}
    statuses = {client.get("/customers", params={"query": "x"}, headers=bad).status_code}
    for _ in range(120):
        statuses.add(client.get("/customers", params={"query": "x"}, headers=bad).status_code)
    assert statuses == {401, 429}
    refused = client.get("/customers", params={"query": "x"}, headers=bad)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_health_answers_while_a_password_is_checked(app: FastAPI, services: Services) -> None:
    """The argon2 check runs in a worker thread: the event loop keeps serving meanwhile."""
    name = new_user(services, Role.DPO)
    with TestClient(app, follow_redirects=False) as client:
        token = csrf_of(client.get("/ui/login").text)
        users = services.users
        original = users.authenticate
        started, release, finished = threading.Event(), threading.Event(), threading.Event()

        def slow_authenticate(*args: object) -> object:
            started.set()
            release.wait(5)
            finished.set()
            return original(*args)  # type: ignore[arg-type]

        users.authenticate = slow_authenticate  # type: ignore[method-assign,assignment]
        try:
            form = {"name": name, "password": PASSWORD, "csrf_token": token}
            login = threading.Thread(target=lambda: client.post("/ui/login", data=form))
            login.start()
            assert started.wait(10)
            health = client.get("/health")
            assert health.status_code == 200
            assert not finished.is_set(), "answered while the check was still running"
        finally:
            release.set()
            login.join(10)
            users.authenticate = original  # type: ignore[method-assign]


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/ui/login", "/health", "/customers", "/static/style.css"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy, path
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy, path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "no-referrer", path
        assert "strict-transport-security" not in headers, "plain http: no HSTS"


def test_an_unexpected_error_answers_with_the_security_headers_too(services: Services) -> None:
    """Starlette's last-resort handler answers outside every middleware."""
    app = fresh_app(services)

    def fail() -> None:
        raise RuntimeError("a bug")

    for path in ("/ui/failing-for-the-test", "/failing-for-the-test"):
        app.add_api_route(path, fail)
        answer = TestClient(app, raise_server_exceptions=False).get(path)
        assert answer.status_code == 500, path
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["cache-control"] == "no-store", path


def test_no_template_carries_inline_script_or_style() -> None:
    """The policy forbids them, so a browser would silently drop them."""
    templates = Path(api.__file__).resolve().parent / "templates"
    for template in templates.glob("*.html"):
        text = template.read_text()
        assert "<script>" not in text and "<style" not in text, template.name
        assert " onclick=" not in text and " style=" not in text, template.name


def test_personal_data_answers_are_not_stored_by_caches(
    client: TestClient, app: FastAPI, services: Services, as_role: dict[Role, dict[str, str]]
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    found = client.post("/customers/search", json={"query": "x"}, headers=am)
    assert found.status_code == 200 and found.headers["cache-control"] == "no-store"
    page = sign_in(app, new_user(services, Role.ACCOUNT_MANAGER)).get("/ui/customers")
    assert page.headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/app.js").headers.get("cache-control", "")


def test_https_behind_a_trusted_proxy_sets_secure_cookies_and_hsts(services: Services) -> None:
    app = fresh_app(services, trusted_proxies=["10.0.0.0/8"])
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    behind = TestClient(app, follow_redirects=False, client=("10.1.2.3", 1000))
    answer = behind.get("/ui/login", headers=proxied)
    assert "Secure" in answer.headers["set-cookie"]
    assert "max-age=" in answer.headers["strict-transport-security"]
    # The same headers from an untrusted address prove nothing.
    direct = TestClient(app, follow_redirects=False, client=("203.0.113.9", 1000))
    forged = direct.get("/ui/login", headers=proxied)
    assert "Secure" not in forged.headers["set-cookie"]
    assert "strict-transport-security" not in forged.headers


def test_the_forwarded_client_address_is_what_the_limits_count(services: Services) -> None:
    app = fresh_app(services, trusted_proxies=["10.0.0.0/8"])
    behind = TestClient(app, follow_redirects=False, client=("10.1.2.3", 1000))
    for index in range(PER_ADDRESS.free + 1):
        token = csrf_of(behind.get("/ui/login").text)
        behind.post(
            "/ui/login",
            data={"name": f"g-{index}", "password": "wrong password", "csrf_token": token},
            headers={"X-Forwarded-For": "198.51.100.8"},
        )
    name = new_user(services, Role.DPO)
    token = csrf_of(behind.get("/ui/login").text)
    form = {"name": name, "password": PASSWORD, "csrf_token": token}
    other = behind.post("/ui/login", data=form, headers={"X-Forwarded-For": "198.51.100.9"})
    assert other.status_code == 303, "another client behind the same proxy is not delayed"


@pytest.mark.parametrize("path", ["/imports/ab%00cd", "/customers/ab%00cd", "/ui/customers/a%00"])
def test_nul_in_a_path_parameter_is_422(
    client: TestClient, as_role: dict[Role, dict[str, str]], path: str
) -> None:
    response = client.get(path, headers=as_role[Role.ACCOUNT_MANAGER])
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["path"]


def test_nul_in_a_structured_json_body_is_422(
    client: TestClient, as_role: dict[Role, dict[str, str]]
) -> None:
    response = client.post(
        "/customers",
        content=b'{"kind": "person", "customer_type": "individual", "name": "a\\u0000b"}',
        headers={**as_role[Role.ACCOUNT_MANAGER], "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_nul_in_a_multipart_text_field_is_422_while_a_file_may_hold_nul(
    app: FastAPI, services: Services
) -> None:
    manager = sign_in(app, new_user(services, Role.ACCOUNT_MANAGER))
    manager.cookies.set("crm_lang", "en")
    fields = {"csrf_token": page_csrf(manager), "timezone": "Europe/Helsinki"}
    report = zoom_attendee_report("a@example.fi", "b@example.fi", "c@example.fi", "s@tuni.fi")
    refused = manager.post(
        "/ui/imports",
        data={**fields, "source": "webinar\x00list"},
        files={"file": ("attendees.csv", report, "text/csv")},
    )
    assert refused.status_code == 422, refused.text
    assert translate("en", "error.invalid") in refused.text
    # NUL in an uploaded file is the file's business (a spreadsheet is full of them).
    binary = manager.post(
        "/ui/imports", data=fields, files={"file": ("x.csv", b"a,b\n1,\x00\n", "text/csv")}
    )
    assert binary.status_code == 422 and translate("en", "error.invalid") not in binary.text
    assert escape(translate("en", "imports.unrecognised")) in binary.text, "the page answered"


def test_an_email_search_by_url_is_refused_on_pages_too(app: FastAPI, services: Services) -> None:
    client = sign_in(app, new_user(services, Role.ACCOUNT_MANAGER))
    client.cookies.set("crm_lang", "en")
    refused = client.get("/ui/customers", params={"q": "someone@example.fi"})
    assert refused.status_code == 422
    assert translate("en", "search.email_in_url") in refused.text
    form = client.get("/ui/customers").text
    assert 'method="post" action="/ui/customers"' in form


def test_the_delay_is_forgotten_after_quiet_time() -> None:
    now = [1000.0]
    limiter = AttemptLimiter(clock=lambda: now[0])
    keys = limiter.keys("192.0.2.40", "someone")
    for _ in range(PER_NAME.free + 1):
        limiter.failed(keys)
    assert limiter.retry_after(keys) > 0
    now[0] += PER_NAME.forget_after + 1
    assert limiter.retry_after(keys) == 0
    limiter.failed(keys)
    assert limiter.retry_after(keys) == 0, "the count started again"


def test_a_second_check_of_a_name_already_being_checked_waits(services: Services) -> None:
    """A burst cannot queue up password checks before its failures are counted."""
    app = fresh_app(services)
    name = new_user(services, Role.DPO)
    users = services.users
    original = users.authenticate
    started, release = threading.Event(), threading.Event()

    def slow_authenticate(*args: object) -> object:
        started.set()
        release.wait(10)
        return original(*args)  # type: ignore[arg-type]

    with TestClient(app, follow_redirects=False) as first:
        second = TestClient(app, follow_redirects=False)
        users.authenticate = slow_authenticate  # type: ignore[method-assign,assignment]
        try:
            token = csrf_of(first.get("/ui/login").text)
            form = {"name": name, "password": "wrong password", "csrf_token": token}
            login = threading.Thread(target=lambda: first.post("/ui/login", data=form))
            login.start()
            assert started.wait(10)
            status, _, headers = login_attempt(second, name, PASSWORD)
            assert status == 429 and headers["retry-after"] == "1"
        finally:
            release.set()
            login.join(10)
            users.authenticate = original  # type: ignore[method-assign]
    assert login_attempt(second, name, PASSWORD)[0] == 303
