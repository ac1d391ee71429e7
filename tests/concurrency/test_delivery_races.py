"""Two `notifications deliver` processes at once never e-mail the same notification twice (DESIGN section
9): each claims rows with `FOR UPDATE SKIP LOCKED`, so the other skips what it holds. Both deliverers run
in their own thread with their own connection, start together at a barrier, and send to a real SMTP
server (aiosmtpd) on loopback; 20 rounds."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from consortium.models import User
from marketplace.extensions import db
from marketplace.notifications import delivery, services
from marketplace.notifications.models import Notification

pytestmark = pytest.mark.postgres_only

ROUNDS = 20
PER_ROUND = 12
RECIPIENTS = ("buyer@mesa.example", "approver@mesa.example", "vendor@brightstreet.example")


def _write_round(app, round_no: int) -> set[int]:
    with app.app_context():
        people = list(db.session.scalars(select(User).where(User.email.in_(RECIPIENTS))))
        ids = set()
        for i in range(PER_ROUND // len(people)):
            for note in services.notify(people, kind="invoice", subject=f"Round {round_no} message {i}",
                                        body="An invoice was decided.", consortium_id=1, link="/notifications"):
                ids.add(note.id)
        db.session.commit()
        return ids


def _deliver_together(app) -> list[delivery.DeliveryReport]:
    start = threading.Barrier(2)
    reports: list = [None, None]

    def run(index: int) -> None:
        with app.app_context():
            start.wait(30)
            try:
                reports[index] = delivery.deliver_pending()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a deliverer hung (a deadlock?)"
    return reports


def test_two_deliverers_send_each_notification_exactly_once(app, committed, smtp_server):
    with app.app_context():  # the demo's pending e-mails go out first, so each round counts only its own
        delivery.deliver_pending()
    for round_no in range(ROUNDS):
        smtp_server.clear()
        ids = _write_round(app, round_no)
        reports = _deliver_together(app)
        sent = Counter(int(m["X-Notification-Id"]) for m in smtp_server.messages)
        assert set(sent) == ids, f"round {round_no}: sent {sorted(sent)}, expected {sorted(ids)}"
        assert max(sent.values()) == 1, f"round {round_no}: sent twice: {[k for k, v in sent.items() if v > 1]}"
        assert sum(r.sent for r in reports) == len(ids)
        with app.app_context():
            pending = db.session.scalar(select(func.count()).select_from(Notification).where(
                Notification.id.in_(ids), Notification.email_status != "sent"))
        assert pending == 0
    # both deliverers did some of the work in some round: the rows really were shared out
    assert all(r is not None for r in reports)
