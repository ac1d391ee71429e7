"""Forgotten passwords and "sign out everywhere": the same answer whether or not the address has an
account, a link that works once for an hour, every other session ended, older links closed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consortium import services as people
from consortium.accounts.models import PasswordReset
from marketplace.audit import AuditEvent
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.notifications.delivery import deliver_pending
from marketplace.notifications.models import Notification
from tests import conftest
from tests.conftest import consortium, fetch, user
from tests.mailbox import text_of

LINK = re.compile(r"http://localhost(/reset-password/[A-Za-z0-9_-]+)")
PERSON = "buyer@tempe.example"
NEW = {"password": "a-brand-new-passphrase", "confirm": "a-brand-new-passphrase"}
SAME_ANSWER = "If an account exists for that address, we have e-mailed a link"


def _deliver(app):
    with app.app_context():
        return deliver_pending()


def _links(mailbox, address: str) -> list[str]:
    return [LINK.findall(text_of(m))[0] for m in mailbox.to(address)]


def _ask(client, email: str):
    return client.post("/forgot-password", data={"email": email})


def _answer(response) -> str:
    return re.search(r'data-testid="reset-requested">([^<]*)<', response.get_data(as_text=True)).group(1)


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def _second_browser(app, email: str, password: str = "demo-password"):
    other = app.test_client()
    assert other.post("/login", data={"email": email, "password": password}).status_code == 302
    return other


def fetch_all(stmt) -> list:
    with conftest._APP.app_context():
        return list(db.session.scalars(stmt))


def _in_app(app) -> bool:
    """The new password works (and the person is active)."""
    with app.app_context():
        return people.authenticate(PERSON, NEW["password"]) is not None


def test_the_sign_in_page_links_to_the_reset_page(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot-password"' in page and "Forgot your password?" in page
    assert client.get("/forgot-password").status_code == 200


def test_resetting_a_password_through_the_emailed_link(app, client, smtp_server):
    elsewhere = _second_browser(app, PERSON)
    response = _ask(client, " Buyer@Tempe.example ")
    assert response.status_code == 200 and SAME_ANSWER in _answer(response)
    _deliver(app)
    [message] = smtp_server.to(PERSON)
    assert " ".join(message["Subject"].split()).endswith("Reset your password")
    assert "works once, until" in text_of(message)
    [path] = _links(smtp_server, PERSON)
    assert text_of(message).count(f"http://localhost{path}") == 2
    stored = fetch(select(Notification).where(Notification.email == PERSON))
    assert path not in stored.body  # the secret is cleared from the outbox once sent

    form = client.get(path)
    assert form.status_code == 200 and PERSON in form.get_data(as_text=True)
    done = client.post(path, data=NEW)
    assert done.status_code == 302 and done.headers["Location"].endswith("/c/gpsr/")
    assert _signed_in(client)  # signed in by the reset
    assert not _signed_in(elsewhere)  # every other session has ended

    fresh = app.test_client()
    assert fresh.post("/login", data={"email": PERSON, "password": "demo-password"}).status_code == 200
    assert fresh.post("/login", data={"email": PERSON, "password": NEW["password"]}).status_code == 302
    actions = list(fetch_all(select(AuditEvent.action).where(AuditEvent.object_type == "user",
                                                             AuditEvent.object_id == user(PERSON).id)))
    assert "user.password_reset_requested" in actions and "user.password_reset" in actions

    # The link works once.
    client.post("/logout")
    again = client.get(path)
    assert again.status_code == 410 and "no longer works" in again.get_data(as_text=True)
    assert client.post(path, data={"password": "yet-another-password", "confirm": "yet-another-password"}
                       ).status_code == 410
    assert _in_app(app)


def _resets() -> int:
    return fetch(select(func.count()).select_from(PasswordReset))


def test_the_same_answer_whether_or_not_the_address_has_an_active_account(app, client, smtp_server):
    with app.test_request_context():
        people.set_active(user("buyer@chandler.example"), False, actor=user("admin@gpsr.example"),
                          consortium=consortium("gpsr"))
        db.session.commit()
    before = _resets()
    answers = {email: _ask(client, email) for email in (PERSON, "nobody@nowhere.example", "buyer@chandler.example")}
    assert {r.status_code for r in answers.values()} == {200}
    assert len({_answer(r) for r in answers.values()}) == 1
    assert len({r.get_data() for r in answers.values()}) == 1  # the whole page, byte for byte
    _deliver(app)
    assert len(smtp_server.to(PERSON)) == 1
    assert smtp_server.to("nobody@nowhere.example") == [] and smtp_server.to("buyer@chandler.example") == []
    assert _resets() == before + 1


def test_an_expired_link_changes_nothing(app, client, smtp_server):
    _ask(client, PERSON)
    _deliver(app)
    [path] = _links(smtp_server, PERSON)
    with app.app_context():
        reset = db.session.scalar(select(PasswordReset).order_by(PasswordReset.id.desc()))
        assert reset.expires_at - reset.created_at == timedelta(hours=1)
        reset.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    hash_before = user(PERSON).password_hash
    page = client.get(path)
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    assert client.post(path, data=NEW).status_code == 410
    assert user(PERSON).password_hash == hash_before and not _signed_in(client)


@pytest.mark.parametrize("token", ["y" * 43, "nope"])
def test_an_unknown_link_answers_404(client, token):
    assert client.get(f"/reset-password/{token}").status_code == 404
    assert client.post(f"/reset-password/{token}", data=NEW).status_code == 404


def test_using_a_link_closes_the_older_ones(app, client, smtp_server):
    _ask(client, PERSON)
    _ask(client, PERSON)
    _deliver(app)
    older, newer = _links(smtp_server, PERSON)
    assert client.post(newer, data=NEW).status_code == 302
    client.post("/logout")
    assert client.get(older).status_code == 410
    assert client.post(older, data={"password": "sneaky-other-password", "confirm": "sneaky-other-password"}
                       ).status_code == 410
    assert _in_app(app)


def test_a_link_of_a_deactivated_account_stops_working(app, client, smtp_server):
    _ask(client, PERSON)
    _deliver(app)
    [path] = _links(smtp_server, PERSON)
    with app.test_request_context():
        people.set_active(user(PERSON), False, actor=user("admin@gpsr.example"), consortium=consortium("gpsr"))
        db.session.commit()
    assert client.get(path).status_code == 410
    assert client.post(path, data=NEW).status_code == 410 and not _in_app(app)


@pytest.mark.parametrize(("data", "field", "words"), [
    ({"password": "short", "confirm": "short"}, "password", "at least 12"),
    ({"password": "", "confirm": ""}, "password", "required"),
    ({"password": "x" * 201, "confirm": "x" * 201}, "password", "at most 200"),
    ({"password": "tab\x1bescape-password", "confirm": "tab\x1bescape-password"}, "password", "control character"),
    ({"password": "a-brand-new-passphrase", "confirm": "a-different-passphrase"}, "confirm", "differ"),
])
def test_bad_new_passwords_get_field_messages_and_change_nothing(app, client, smtp_server, data, field, words):
    _ask(client, PERSON)
    _deliver(app)
    [path] = _links(smtp_server, PERSON)
    hash_before = user(PERSON).password_hash
    response = client.post(path, data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'href="#{field}"' in page and words in page
    assert user(PERSON).password_hash == hash_before and not _signed_in(client)
    assert client.post(path, data=NEW).status_code == 302  # the link still works


def test_asking_is_throttled_like_sign_in_whatever_the_address(client):
    for email in (PERSON, "nobody@nowhere.example"):
        codes = [_ask(client, email.upper() if i % 2 else email).status_code for i in range(6)]
        assert codes == [200] * 5 + [429], (email, codes)


def test_bad_addresses_get_a_field_message(client):
    for value in ("not-an-address", "a\x00b@tempe.example", "x" * 250 + "@t.example"):
        response = _ask(client, value)
        assert response.status_code == 400 and 'href="#email"' in response.get_data(as_text=True)


# --- sign out everywhere ------------------------------------------------------------------------------


def test_sign_out_everywhere_ends_every_session_and_nothing_else(app, client, login, api_token):
    headers = api_token(PERSON)
    login(PERSON)
    elsewhere = _second_browser(app, PERSON)
    page = client.get("/account").get_data(as_text=True)
    assert "Sign out everywhere" in page
    response = client.post("/account/sign-out-everywhere", follow_redirects=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "You are signed out everywhere" in text and "API tokens and your password are unchanged" in text
    assert not _signed_in(client) and not _signed_in(elsewhere)
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # tokens are not revoked
    assert client.post("/login", data={"email": PERSON, "password": "demo-password"}).status_code == 302
    assert _signed_in(client) and not _signed_in(elsewhere)
