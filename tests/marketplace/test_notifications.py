"""The outbox, its e-mail delivery through a real SMTP server, the inbox and the e-mail preferences."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consortium.models import User
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.notifications import delivery, services
from marketplace.notifications.models import Notification
from tests.conftest import fetch
from tests.mailbox import html_of, text_of


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _notify(app, email: str, *, kind="invoice", subject="Invoice BS-1 was approved", link="/c/gpsr/orders/1",
            body="Mesa approved invoice BS-1 for $28,800.00.") -> int:
    with app.app_context():
        person = _user(email)
        [note] = services.notify([person], kind=kind, subject=subject, body=body, link=link,
                                 consortium_id=person.organization.consortium_id or 1)
        db.session.commit()
        return note.id


def _deliver(app, **kwargs) -> delivery.DeliveryReport:
    with app.app_context():
        return delivery.deliver_pending(**kwargs)


def _note(app, note_id: int) -> Notification:
    with app.app_context():
        note = db.session.get(Notification, note_id)
        db.session.expunge(note)
        return note


def test_a_notification_is_emailed_once_with_both_parts_and_absolute_links(app, _transaction, smtp_server):
    note_id = _notify(app, "buyer@mesa.example")
    report = _deliver(app)
    assert report.sent == 1 and report.failed == 0
    [message] = smtp_server.to("buyer@mesa.example")
    assert message["Subject"] == "[Greater Phoenix Smart Region] Invoice BS-1 was approved"
    assert "Mesa Buyer" in message["To"]
    text, html = text_of(message), html_of(message)
    assert "Mesa approved invoice BS-1 for $28,800.00." in text and "$28,800.00" in html
    assert "Open it: http://localhost/c/gpsr/orders/1" in text
    assert 'href="http://localhost/c/gpsr/orders/1"' in html
    assert "http://localhost/account/notifications" in text and "America/Phoenix" in text
    assert _note(app, note_id).email_status == "sent"
    smtp_server.clear()
    assert _deliver(app).sent == 0 and smtp_server.messages == []  # never twice


def test_email_switched_off_still_reaches_the_inbox(app, client, _transaction, smtp_server, login):
    with app.app_context():
        services.set_preferences(_user("buyer@mesa.example"), {"invoice": False})
        db.session.commit()
    note_id = _notify(app, "buyer@mesa.example")
    assert _note(app, note_id).email_status == "skipped"
    _deliver(app)
    assert smtp_server.to("buyer@mesa.example") == []
    login("buyer@mesa.example")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Invoice BS-1 was approved" in page


def test_a_deactivated_person_is_skipped_at_delivery(app, _transaction, smtp_server):
    note_id = _notify(app, "buyer@mesa.example")
    with app.app_context():
        _user("buyer@mesa.example").is_active = False
        db.session.commit()
    report = _deliver(app)
    assert report.skipped == 1 and smtp_server.messages == []
    assert _note(app, note_id).email_status == "skipped"


def test_a_failure_is_recorded_and_retried_later_then_given_up(app, _transaction):
    note_id = _notify(app, "buyer@mesa.example")
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    try:
        report = _deliver(app)
        assert report.retried == 1 and report.sent == 0
        note = _note(app, note_id)
        assert note.email_status == "pending" and note.attempts == 1 and note.last_error
        assert note.next_attempt_at > utcnow() + timedelta(seconds=30)
        assert _deliver(app).retried == 0  # not due yet: nothing tried
        for _ in range(delivery.MAX_ATTEMPTS - 1):
            with app.app_context():
                db.session.get(Notification, note_id).next_attempt_at = utcnow() - timedelta(seconds=1)
                db.session.commit()
            _deliver(app)
        note = _note(app, note_id)
        assert note.email_status == "failed" and note.attempts == delivery.MAX_ATTEMPTS
    finally:
        app.config.update(MAIL_SERVER=None, MAIL_PORT=25)


def test_without_a_mail_server_messages_are_written_as_eml_files(app, _transaction, tmp_path):
    app.config["MAIL_FILE_DIR"], previous = str(tmp_path), app.config["MAIL_FILE_DIR"]
    try:
        note_id = _notify(app, "approver@tempe.example", subject="Order TO-000004 needs your approval")
        assert _deliver(app).sent == 1
        [eml] = list(tmp_path.glob("*.eml"))
        content = eml.read_text()
        assert "Subject: [Greater Phoenix Smart Region] Order TO-000004 needs your approval" in content
        assert eml.name == f"{note_id:08d}.eml"
    finally:
        app.config["MAIL_FILE_DIR"] = previous


def test_a_secret_link_is_cleared_once_sent(app, _transaction, smtp_server):
    with app.app_context():
        note = services.send_account_mail(address="new.person@tempe.example", consortium_id=1,
                                          subject="You are invited", body="Accept: http://localhost/i/SECRET",
                                          link="/i/SECRET")
        db.session.commit()
        note_id = note.id
    _deliver(app)
    [message] = smtp_server.to("new.person@tempe.example")
    assert "SECRET" in text_of(message)
    stored = _note(app, note_id)
    assert "SECRET" not in stored.body and stored.link is None


# --- the inbox --------------------------------------------------------------------------------------


def test_the_header_counts_unread_and_the_inbox_marks_read(app, client, _transaction, login):
    first = _notify(app, "buyer@mesa.example", subject="First thing")
    _notify(app, "buyer@mesa.example", subject="Second thing", link=None)
    login("buyer@mesa.example")
    page = client.get("/notifications").get_data(as_text=True)
    unread = fetch(select(Notification).where(Notification.recipient_id == _id("buyer@mesa.example"),
                                              Notification.read_at.is_(None)))
    assert unread is not None
    assert 'data-testid="unread-count"' in page
    assert page.index("Second thing") < page.index("First thing")  # newest first
    opened = client.post(f"/notifications/{first}/read", data={"open": "1"})
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/c/gpsr/orders/1")
    assert _note(app, first).read_at is not None
    assert client.post("/notifications/read-all").status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert 'data-testid="unread-count"' not in page
    assert "Nothing unread." in client.get("/notifications?unread=1").get_data(as_text=True)


def _id(email: str) -> int:
    return fetch(select(User.id).where(User.email == email))


def test_only_the_recipient_sees_or_reads_a_notification(app, client, _transaction, login, api_token):
    note_id = _notify(app, "buyer@mesa.example")
    login("buyer@tempe.example")
    assert client.post(f"/notifications/{note_id}/read").status_code == 404
    assert "Invoice BS-1" not in client.get("/notifications").get_data(as_text=True)
    other = api_token("buyer@tempe.example")
    assert client.post(f"/api/v1/notifications/{note_id}/read", headers=other).status_code == 404
    mine = api_token("buyer@mesa.example")
    listed = client.get("/api/v1/notifications?unread=1", headers=mine).get_json()
    assert any(n["id"] == note_id and not n["read"] for n in listed["results"])
    read = client.post(f"/api/v1/notifications/{note_id}/read", headers=mine)
    assert read.status_code == 200 and read.get_json()["read"] is True
    listed = client.get("/api/v1/notifications?unread=1", headers=mine).get_json()
    assert all(n["id"] != note_id for n in listed["results"])
    assert client.get("/api/v1/notifications?unread=yes", headers=mine).status_code == 400


# --- preferences -------------------------------------------------------------------------------------


def test_preferences_by_page_and_api(app, client, _transaction, login, api_token):
    headers = api_token("vendor@brightstreet.example")
    prefs = client.get("/api/v1/me/preferences", headers=headers).get_json()["email"]
    assert prefs["invoice"] is True and set(prefs) >= {"order_progress", "period_due"}
    changed = client.put("/api/v1/me/preferences", json={"email": {"invoice": False}}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["email"]["invoice"] is False
    assert changed.get_json()["email"]["order_progress"] is True  # kinds not named keep their setting
    for bad in ({"email": {"invoice": "no"}}, {"email": {"gossip": True}}, {"mail": {}}, {"email": []}):
        refused = client.put("/api/v1/me/preferences", json=bad, headers=headers)
        assert refused.status_code == 400, bad
    assert client.get("/api/v1/me/preferences", headers=headers).get_json()["email"]["invoice"] is False
    login("vendor@brightstreet.example")
    page = client.get("/account/notifications").get_data(as_text=True)
    assert 'name="invoice"' in page and 'id="pref-invoice" type="checkbox" name="invoice" checked' not in page
    saved = client.post("/account/notifications", data={"invoice": "on", "period_due": "on"})
    assert saved.status_code == 302
    prefs = client.get("/api/v1/me/preferences", headers=headers).get_json()["email"]
    assert prefs["invoice"] is True and prefs["period_due"] is True and prefs["order_progress"] is False


@pytest.mark.parametrize("kind", ["nonsense"])
def test_an_unknown_kind_is_a_programming_error(app, _transaction, kind):
    with app.app_context(), pytest.raises(ValueError):
        services.notify([_user("buyer@mesa.example")], kind=kind, subject="x", body="y", consortium_id=1)
