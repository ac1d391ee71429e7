"""The security baseline as a user (or an attacker) would meet it."""

import re

import pytest

from marketplace import create_app
from marketplace.config import ConfigError


def test_csrf_required_on_forms(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/login", data={"email": "buyer@mesa.example", "password": "demo-password"})
        assert response.status_code == 400
        assert b"form expired" in response.data
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(
            "/login", data={"email": "buyer@mesa.example", "password": "demo-password", "csrf_token": token}
        )
        assert response.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_cookie_authenticated_api_calls_need_csrf_but_token_calls_do_not(app, client, login, api_token):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        headers = api_token("buyer@mesa.example")
        assert client.post("/api/v1/me", headers=headers).status_code == 405  # GET-only, but past CSRF
        login_page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
        client.post("/login", data={"email": "buyer@mesa.example", "password": "demo-password", "csrf_token": token})
        # a cookie-authenticated unsafe API call without a CSRF token is refused
        assert client.post("/api/v1/me").status_code == 400
        # a bogus bearer header does not unlock the cookie session
        assert client.post("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_session_cookie_flags_and_headers(client):
    response = client.post("/login", data={"email": "buyer@mesa.example", "password": "demo-password"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_production_cookies_are_secure_and_secret_key_required(monkeypatch):
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    prod = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    assert prod.config["PASSWORD_HASH_METHOD"] == "scrypt"


def test_pages_have_no_inline_script(client, login):
    login("admin@gpsr.example")
    for url in ["/c/gpsr/", "/c/gpsr/users", "/account", "/c/gpsr/audit"]:
        html = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, f"inline script on {url}"
        assert " onclick=" not in html and "style=" not in html


def test_login_is_throttled_after_repeated_failures(client):
    for _ in range(5):
        response = client.post("/login", data={"email": "buyer@mesa.example", "password": "wrong-password-1"})
        assert response.status_code == 200
    response = client.post("/login", data={"email": "buyer@mesa.example", "password": "demo-password"})
    assert response.status_code == 429
    assert b"Too many attempts" in response.data


def test_successful_logins_are_not_throttled(client):
    for _ in range(8):
        response = client.post("/login", data={"email": "buyer@mesa.example", "password": "demo-password"})
        assert response.status_code == 302
        client.post("/logout")


def test_no_user_enumeration_on_login(client):
    unknown = client.post("/login", data={"email": "ghost@mesa.example", "password": "whatever-password"})
    wrong = client.post("/login", data={"email": "buyer@mesa.example", "password": "whatever-password"})
    assert unknown.status_code == wrong.status_code == 200
    message = b"do not match an active account"
    assert message in unknown.data and message in wrong.data


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "http:/x"]
)
def test_no_open_redirect_after_login(client, target):
    response = client.post(f"/login?next={target}", data={"email": "buyer@mesa.example", "password": "demo-password"})
    assert response.status_code == 302
    assert response.location == "/c/gpsr/"


def test_local_next_is_honoured(client):
    response = client.post("/login?next=/account", data={"email": "buyer@mesa.example", "password": "demo-password"})
    assert response.location == "/account"


def test_error_pages_are_styled_and_json_under_api(client):
    page = client.get("/c/gpsr/no-such-page")
    assert page.status_code == 404 and b"usa-header" in page.data and b"Page not found" in page.data
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404
    assert api.get_json() == {"error": {"code": "not_found", "message": "Not found."}}
