"""`GET /healthz`: each part reported; 503 when the database or the search engine fails."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import scoped_session, sessionmaker

from catalog.search import reindex
from marketplace import health
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.conftest import consortium

PARTS = {"database", "search", "mail", "outbox"}


@pytest.fixture
def indexed(app, _transaction):
    """A built search index (each test starts without one)."""
    with app.test_request_context():
        reindex()


@pytest.fixture
def whoosh(app, monkeypatch):
    """These tests break Whoosh's folder index on purpose: pin that engine (on PostgreSQL the default is the
    database's own full-text index)."""
    monkeypatch.setitem(app.config, "SEARCH_ENGINE", "whoosh")


@pytest.fixture(autouse=True)
def _no_remembered_smtp_probes():
    health._smtp_probes.clear()
    yield
    health._smtp_probes.clear()


def _nothing_pending(app) -> None:
    with app.test_request_context():
        db.session.execute(update(Notification).where(Notification.email_status == "pending")
                           .values(email_status="sent"))
        db.session.commit()


def test_a_healthy_node_answers_200_with_every_part(app, client, indexed):
    _nothing_pending(app)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == PARTS
    assert {name: part["status"] for name, part in body["checks"].items()} == dict.fromkeys(PARTS, "ok")
    assert body["checks"]["mail"]["transport"] == "folder"
    assert body["checks"]["outbox"] == {**body["checks"]["outbox"], "pending": 0, "oldest_pending_age_seconds": None}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_the_database_down_answers_503(app, client, whoosh, indexed, tmp_path):
    """A real driver error: the session points at a database file in a folder that does not exist. (The
    search index is Whoosh's own folder here, so it stays usable; PostgreSQL's would fail with the database.)"""
    broken = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'marketplace.db'}")
    test_session = db.session  # the test's transaction (see conftest._transaction), put back below
    db.session = scoped_session(sessionmaker(bind=broken))
    try:
        response = client.get("/healthz")
    finally:
        db.session = test_session
        broken.dispose()
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "fail"
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert body["checks"]["search"]["status"] == "ok"  # the other parts are still reported
    assert "no-such-folder" not in response.get_data(as_text=True)  # the public answer names no paths


def test_a_search_index_that_cannot_be_opened_answers_503(client, whoosh):
    """No index built yet (every test starts without one): the node must not take traffic."""
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "fail"
    assert body["checks"]["search"]["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"


def test_an_unwritable_mail_folder_is_reported_but_the_node_stays_in(app, client, indexed, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(blocker / "mail"))
    response = client.get("/healthz")
    assert response.status_code == 200
    mail = response.get_json()["checks"]["mail"]
    assert mail["status"] == "fail" and mail["transport"] == "folder"


def test_a_reachable_smtp_server_is_ok(client, indexed, smtp_server):
    response = client.get("/healthz")
    mail = response.get_json()["checks"]["mail"]
    assert mail == {**mail, "status": "ok", "transport": "smtp"}
    assert smtp_server.messages == []  # connected and said goodbye: nothing was sent


def test_an_smtp_server_that_does_not_answer_is_reported(app, client, indexed, monkeypatch):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    response = client.get("/healthz")
    assert response.status_code == 200
    mail = response.get_json()["checks"]["mail"]
    assert mail["status"] == "fail" and mail["transport"] == "smtp" and mail["error"] == "ConnectionRefusedError"


def test_the_smtp_probe_is_not_repeated_at_every_poll(app, monkeypatch):
    calls = []

    class CountingSMTP:
        def __init__(self, host, port, timeout):
            calls.append((host, port, timeout))

        def quit(self):
            pass

    monkeypatch.setattr(health.smtplib, "SMTP", CountingSMTP)
    for _ in range(3):
        assert health._probe_smtp("mail.example", 25, False)["status"] == "ok"
    assert calls == [("mail.example", 25, health.SMTP_TIMEOUT)]


def test_an_old_outbox_backlog_warns_without_failing(app, client, indexed):
    _nothing_pending(app)
    with app.test_request_context():
        db.session.add(Notification(consortium_id=consortium("gpsr").id, email="someone@example.com",
                                    kind="test", subject="s", body="b", created_at=utcnow() - timedelta(hours=2)))
        db.session.add(Notification(consortium_id=consortium("gpsr").id, email="someone@example.com",
                                    kind="test", subject="s", body="b"))
        db.session.commit()
        assert db.session.scalar(select(func.count()).where(Notification.email_status == "pending")) == 2
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    outbox = response.get_json()["checks"]["outbox"]
    assert outbox["status"] == "warn" and outbox["pending"] == 2
    assert 2 * 3600 <= outbox["oldest_pending_age_seconds"] < 2 * 3600 + 300


def test_a_recent_backlog_is_ok(app, client, indexed):
    _nothing_pending(app)
    with app.test_request_context():
        db.session.add(Notification(consortium_id=consortium("gpsr").id, email="someone@example.com",
                                    kind="test", subject="s", body="b", created_at=utcnow() - timedelta(minutes=3)))
        db.session.commit()
    outbox = client.get("/healthz").get_json()["checks"]["outbox"]
    assert outbox["status"] == "ok" and outbox["pending"] == 1
    assert 180 <= outbox["oldest_pending_age_seconds"] < 480


def test_a_failing_critical_check_of_a_domain_answers_503(app, client, indexed, monkeypatch):
    """The factory's hook: a registered critical check that raises makes the node unhealthy."""
    checks = dict(app.extensions[health.CHECKS])
    monkeypatch.setitem(app.extensions, health.CHECKS, checks)

    def broken():
        raise RuntimeError("index server gone")

    checks["search"] = (broken, True)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["search"] == {**response.get_json()["checks"]["search"],
                                                        "status": "fail", "error": "RuntimeError"}
