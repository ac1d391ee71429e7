"""Hardening found by trying the site as an attacker would (issue #11): each test is what the attacker
tries and what they get back."""

import json
import re
import sys

import pytest
from sqlalchemy import func, select

from consortium.models import ApiToken, User
from consortium.services import sign_in_throttle_key
from marketplace.config import ALLOW_TESTING_FLAG, TESTING_SECRET_KEY, ConfigError, load_config
from tests.conftest import fetch, org, user

BUYER = "buyer@mesa.example"
PASSWORD = "demo-password"


# --- 1. the sign-in throttle counts every spelling of one address ----------------------------------


def test_every_spelling_of_an_address_shares_one_throttle_key():
    spellings = ["buyer@mesa.example", "BUYER@MESA.EXAMPLE", " Buyer@Mesa.Example\t", "buyer@mesa.example\x00",
                 "\x7fbuyer@mesa.example", "buyer@mesa.example\u200b", "buy\u00ader@mesa.example",
                 "buyer@mesa.exampl\u0065\ufeff", "BUYER@mesa.example\x1b"]
    assert {sign_in_throttle_key(s) for s in spellings} == {"login:buyer@mesa.example"}
    assert sign_in_throttle_key("approver@mesa.example") != sign_in_throttle_key(BUYER)


def test_capitals_and_invisible_characters_do_not_buy_more_password_guesses(client):
    spellings = ["BUYER@mesa.example", " Buyer@Mesa.Example ", "buyer@mesa.example\u200b", "buy\u00ader@mesa.example",
                 "bUyEr@MESA.example"]
    for spelling in spellings:  # five wrong guesses, each with a new spelling of the same account
        response = client.post("/login", data={"email": spelling, "password": "wrong-password-1"})
        assert response.status_code == 200 and b"do not match an active account" in response.data
    response = client.post("/login", data={"email": BUYER, "password": PASSWORD})
    assert response.status_code == 429 and b"Too many attempts" in response.data


def test_control_characters_in_the_address_are_a_form_error_not_a_guess(client):
    response = client.post("/login", data={"email": BUYER + "\x00", "password": PASSWORD})
    assert response.status_code == 200 and b"Remove the control character" in response.data
    assert client.get("/account").status_code == 302  # not signed in


# --- 2. `next` never leaves the site, never injects a header, never fails --------------------------

HOSTILE_NEXT = [
    "/c/gpsr/catalog%0d%0aLocation:%20http://evil.example",
    "/c/gpsr/catalog%0aSet-Cookie:%20session=stolen",
    "/c/gpsr/catalog%0d%0a%0d%0a<script>alert(1)</script>",
    "/%00/evil.example", "/%09/evil.example", "%2F%2Fevil.example", "//evil.example", "/%5Cevil.example",
    "/%5C/evil.example", "%5C%5Cevil.example", "http://evil.example/", "javascript:alert(1)",
    "data:text/html,x", "/c/gpsr/%C2%85Location:x", "/" + "a" * 5000,
]


def _assert_stays(response, allowed: tuple[str, ...]):
    assert response.status_code == 302, response.status_code
    locations = response.headers.getlist("Location")
    assert len(locations) == 1 and locations[0] in allowed, locations
    assert "evil" not in str(response.headers) and "stolen" not in str(response.headers)


@pytest.mark.parametrize("raw_next", HOSTILE_NEXT)
def test_hostile_next_sends_people_home_after_sign_in(client, raw_next):
    response = client.post(f"/login?next={raw_next}", data={"email": BUYER, "password": PASSWORD})
    _assert_stays(response, ("/c/gpsr/",))
    # already signed in: the sign-in page sends them on to the same safe place
    _assert_stays(client.get(f"/login?next={raw_next}"), ("/c/gpsr/",))


def test_a_plain_next_path_with_a_query_is_still_honoured(client):
    response = client.post("/login?next=/c/gpsr/catalog%3Fq%3Dled%26page%3D2",
                           data={"email": BUYER, "password": PASSWORD})
    assert response.location == "/c/gpsr/catalog?q=led&page=2"


def test_sign_in_page_for_an_anonymous_visit_keeps_a_clean_next(client):
    response = client.get("/c/gpsr/orders?x=%0d%0aLocation:%20http://evil.example")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=") and "\r" not in response.location
    assert "\n" not in response.location


# --- 3. deeply nested JSON is a 400, never a RecursionError ----------------------------------------

DEPTH = 100_000


def _post_json(client, headers, url, raw: str):
    return client.post(url, headers=headers, data=raw, content_type="application/json")


@pytest.mark.parametrize("raw", [
    "[" * DEPTH + "]" * DEPTH,
    '{"a":' * DEPTH + "1" + "}" * DEPTH,
    '{"title": ' + "[" * DEPTH + "]" * DEPTH + ', "summary": "s", "category": "lighting"}',
    '{"title": "t", "summary": "s", "category": "lighting", "tags": ' + "[" * 40 + "]" * 40 + "}",
    '{"title": "t", "summary": "s", "category": "lighting", "tags": ' + "[" * 900 + "]" * 900 + "}",
])
def test_deeply_nested_json_is_refused_with_a_clear_message(client, api_token, raw):
    headers = api_token("vendor@brightstreet.example")
    for url in ("/api/v1/listings", "/api/v1/orders", "/api/v1/vehicles"):
        response = _post_json(client, headers, url, raw)
        assert response.status_code == 400, (url, response.status_code)
        error = response.get_json()["error"]
        assert "nested too deeply" in error["message"] and error["fields"]


def test_sanely_nested_json_still_reaches_the_schema(client, api_token):
    raw = '{"title": ' + "[" * 10 + "]" * 10 + ', "summary": "s", "category": "lighting"}'
    response = _post_json(client, api_token("vendor@brightstreet.example"), "/api/v1/listings", raw)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]["title"] == "Must be of type string."


# --- 4. lone surrogates and control characters are field errors, never a 500 -----------------------

BAD_TEXT = {"lone surrogate": ("\ud800", "lone surrogate"), "NUL": ("a\x00b", "control character"),
            "escape": ("a\x1b[31mb", "control character")}


@pytest.mark.parametrize("kind", BAD_TEXT)
def test_bad_text_in_api_fields_is_a_field_error(client, api_token, kind):
    value, words = BAD_TEXT[kind]
    vendor = api_token("vendor@brightstreet.example")
    listing = {"title": "Smart poles", "summary": "Poles", "category": "lighting",
               "price_items": [{"name": "Pole", "unit": "each", "list_price": "10.00"}]}
    cases = [
        ("/api/v1/listings", vendor, {**listing, "title": value}, "title"),
        ("/api/v1/listings", vendor, {**listing, "summary": value}, "summary"),
        ("/api/v1/listings", vendor, {**listing, "price_items": [{**listing["price_items"][0], "name": value}]},
         "price_items.0.name"),
        ("/api/v1/orders", api_token(BUYER), {"notes": value}, "notes"),
    ]
    for url, headers, body, field in cases:
        response = _post_json(client, headers, url, json.dumps(body))  # json.dumps writes "\ud800" as an escape
        assert response.status_code == 400, (url, field, response.status_code)
        error = response.get_json()["error"]
        assert words in error["fields"][field], error


def test_bad_text_in_a_json_key_is_refused_without_echoing_it(client, api_token):
    response = _post_json(client, api_token("vendor@brightstreet.example"), "/api/v1/listings",
                          '{"ti\\u0000tle": "x", "\\udc80": 1}')
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"ti?tle", "?"}


@pytest.mark.parametrize("kind", ["NUL", "escape"])  # a form cannot carry a surrogate: see below
def test_bad_text_in_forms_is_a_form_error(client, login, kind):
    value, words = BAD_TEXT[kind]
    login("admin@gpsr.example")
    tokens_before = fetch(select(func.count(ApiToken.id)))
    response = client.post("/account/tokens", data={"name": value})
    assert response.status_code == 400 and words in response.get_data(as_text=True)
    assert fetch(select(func.count(ApiToken.id))) == tokens_before
    response = client.post("/c/gpsr/users/new", data={
        "email": f"pat{value}@tempe.example", "organization_id": org("Tempe").id, "role": "buyer"})
    assert response.status_code == 400 and words in response.get_data(as_text=True)
    assert user("pat@tempe.example") is None
    target = user("buyer@tempe.example")
    response = client.post(f"/c/gpsr/users/{target.id}/deactivate", data={"reason": value}, follow_redirects=True)
    assert response.status_code == 200 and words in response.get_data(as_text=True)
    assert user("buyer@tempe.example").is_active


def test_a_form_cannot_even_carry_a_lone_surrogate(client, login):
    """Form bodies are UTF-8 bytes: an encoded surrogate arrives as replacement characters, never as a
    string the database would choke on."""
    login("buyer@mesa.example")
    response = client.post("/account/tokens", data=b"name=%ED%A0%80pole",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    token = fetch(select(ApiToken).where(ApiToken.user_id == user(BUYER).id))
    assert token.name.endswith("pole") and "\ud800" not in token.name


def test_bad_text_in_another_domains_form_is_never_a_500(client, login):
    login("vendor@brightstreet.example")
    for value in ("\x00", "a\x1bb"):
        response = client.post("/c/gpsr/listings/new", data={
            "title": value, "summary": value, "description": value, "category": "lighting",
            "price_items-0-name": value, "price_items-0-unit": "each", "price_items-0-list_price": "10"})
        assert response.status_code == 400, response.status_code


# --- 5. the Host header never ends up in a redirect -------------------------------------------------


@pytest.fixture
def no_server_name(app, monkeypatch):
    """Production has no SERVER_NAME by default: URLs would be built from the Host header."""
    monkeypatch.setitem(app.config, "SERVER_NAME", None)


def _relative(response) -> str:
    assert 300 <= response.status_code < 400, response.status_code
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//"), location
    assert b"evil.example" not in response.data
    return location


def test_redirects_never_name_the_host_the_client_sent(app, client, no_server_name):
    evil = {"Host": "evil.example"}
    assert _relative(client.get("/c/gpsr", headers=evil)) == "/c/gpsr/"  # werkzeug's slash redirect
    assert _relative(client.get("/c/gpsr/orders", headers=evil)).startswith("/login?next=")  # 401 → sign in
    assert _relative(client.get("/account", headers=evil)).startswith("/login")
    assert _relative(client.post("/login?next=/account", headers=evil,
                                 data={"email": BUYER, "password": PASSWORD})) == "/account"
    assert _relative(client.get("/", headers=evil)) == "/c/gpsr/"
    assert _relative(client.get("/login", headers=evil)) == "/c/gpsr/"
    assert _relative(client.post("/logout", headers=evil)) == "/"


def test_a_redirect_to_the_configured_server_name_stays_absolute(client):
    response = client.get("/c/gpsr", headers={"Host": "evil.example"})
    assert response.headers["Location"] == "http://localhost/c/gpsr/"  # the suite's SERVER_NAME


def test_trusted_hosts_refuse_other_hosts(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["localhost"])
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/login").status_code == 200


def test_trusted_hosts_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTED_HOSTS", "market.example, www.market.example")
    assert load_config(str(tmp_path), {"TESTING": True})["TRUSTED_HOSTS"] == ["market.example", "www.market.example"]
    monkeypatch.delenv("TRUSTED_HOSTS")
    assert load_config(str(tmp_path), {"TESTING": True})["TRUSTED_HOSTS"] is None


# --- 6. the testing configuration stays in the tests -----------------------------------------------


@pytest.mark.parametrize("env", ["development", "production"])
def test_the_testing_secret_key_is_refused_outside_tests(tmp_path, monkeypatch, env):
    monkeypatch.setenv("MARKETPLACE_ENV", env)
    monkeypatch.setenv("SECRET_KEY", TESTING_SECRET_KEY)
    with pytest.raises(ConfigError, match="well-known key"):
        load_config(str(tmp_path))
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(ConfigError, match="well-known key"):
        load_config(str(tmp_path), {"SECRET_KEY": TESTING_SECRET_KEY})


def test_the_testing_environment_runs_only_under_pytest_or_an_explicit_flag(tmp_path, monkeypatch):
    monkeypatch.delenv(ALLOW_TESTING_FLAG, raising=False)
    monkeypatch.setenv("MARKETPLACE_ENV", "testing")
    assert load_config(str(tmp_path))["SECRET_KEY"] == TESTING_SECRET_KEY  # we are under pytest
    monkeypatch.delitem(sys.modules, "pytest")  # as in a server process
    with pytest.raises(ConfigError, match="only under pytest"):
        load_config(str(tmp_path))
    monkeypatch.delenv("MARKETPLACE_ENV")
    with pytest.raises(ConfigError, match="only under pytest"):
        load_config(str(tmp_path), {"TESTING": True})
    monkeypatch.setenv(ALLOW_TESTING_FLAG, "1")
    assert load_config(str(tmp_path), {"TESTING": True})["ENV_NAME"] == "testing"


def test_development_outside_pytest_still_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("MARKETPLACE_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delitem(sys.modules, "pytest")
    config = load_config(str(tmp_path))
    assert config["SECRET_KEY"] != TESTING_SECRET_KEY and len(config["SECRET_KEY"]) >= 32


# --- 7. signing out ends the session on the server --------------------------------------------------


def _copy_session(app, client):
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return thief


def test_a_copied_session_cookie_stops_working_after_sign_out(app, client, login, api_token):
    headers = api_token(BUYER)
    login(BUYER)
    thief = _copy_session(app, client)
    assert thief.get("/account").status_code == 200  # the copy works while the session lives
    response = client.post("/logout", follow_redirects=True)
    assert "signed out on every device" in response.get_data(as_text=True)
    for url in ("/account", "/c/gpsr/orders"):
        response = thief.get(url)
        assert response.status_code == 302 and response.location.startswith("/login"), url
    assert thief.get("/api/v1/me").status_code == 401  # the cookie no longer speaks for anyone
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # API tokens are unaffected
    login(BUYER)  # signing in again starts a fresh, working session
    assert client.get("/account").status_code == 200


def test_signing_out_ends_the_sessions_on_other_devices_too(app, client, login):
    login(BUYER)
    laptop = app.test_client()
    assert laptop.post("/login", data={"email": BUYER, "password": PASSWORD}).status_code == 302
    assert laptop.get("/account").status_code == 200
    client.post("/logout")
    assert laptop.get("/account").status_code == 302


def test_a_deactivated_persons_copied_cookie_stays_dead_after_reactivation(app, client, login):
    victim = app.test_client()
    victim.post("/login", data={"email": "buyer@tempe.example", "password": PASSWORD})
    assert victim.get("/account").status_code == 200
    login("admin@gpsr.example")
    target = user("buyer@tempe.example")
    client.post(f"/c/gpsr/users/{target.id}/deactivate", data={"reason": "left"})
    client.post(f"/c/gpsr/users/{target.id}/reactivate")
    assert victim.get("/account").status_code == 302


def test_a_session_without_a_version_is_not_trusted(app, client, login):
    login(BUYER)
    with client.session_transaction() as session:
        del session["session_version"]
    assert client.get("/account").status_code == 302


def test_sign_out_bumps_the_version_once_per_sign_out(client, login):
    before = user(BUYER).session_version
    login(BUYER)
    client.post("/logout")
    client.post("/logout")  # a second sign-out while signed out changes nothing
    assert user(BUYER).session_version == before + 1


# --- 8. Unicode digits in numbers of the query string -----------------------------------------------


@pytest.mark.parametrize("page", ["１", "²", "١", "𝟐", "1e3", "-1", "99999999999999999999", ""])
def test_unicode_digits_in_page_numbers_are_ignored_or_refused(client, login, api_token, page):
    login("admin@gpsr.example")
    response = client.get("/c/gpsr/audit", query_string={"page": page})
    assert response.status_code == 200  # the first page
    response = client.get("/api/v1/listings", query_string={"page": page}, headers=api_token(BUYER))
    assert response.status_code in (200, 400) and response.get_json()


def test_unicode_digits_do_not_pick_an_organization_in_a_form(client, login):
    login("admin@gpsr.example")
    digits = str(org("Tempe").id).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = client.post("/c/gpsr/users/new", data={
        "email": "pat@tempe.example", "organization_id": digits, "role": "buyer"})
    assert response.status_code == 400 and user("pat@tempe.example") is None
    assert re.search(r'href="#organization_id">Organization: ', response.get_data(as_text=True))


def test_deactivation_bumps_the_stored_version(ctx):
    from consortium import services
    from tests.conftest import consortium

    target = fetch(select(User).where(User.email == "buyer@tempe.example"))
    before = target.session_version
    services.set_active(target, False, actor=user("admin@gpsr.example"), consortium=consortium("gpsr"))
    assert target.session_version == before + 1


@pytest.mark.parametrize("digits", ["\uff11", "\u0663", "\u00b9"])
def test_unicode_digits_in_a_path_id_name_no_object(client, api_token, digits):
    """`/orders/１` is not order 1: ids in paths are ASCII digits (werkzeug's `\\d` would accept "１")."""
    headers = api_token("admin@gpsr.example")
    assert client.get("/api/v1/orders/1", headers=headers).status_code in (200, 404)
    response = client.get(f"/api/v1/orders/{digits}", headers=headers)
    assert response.status_code == 404
    assert client.post(f"/c/gpsr/users/{digits}/deactivate").status_code in (302, 400, 404)
