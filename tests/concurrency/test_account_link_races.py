"""Single-use links used twice at the same moment: one invitation makes one account, one reset link sets
one password. The winner is signed in; the others get the "no longer works" page (410), never a 500."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from consortium import services as people
from consortium.accounts import services
from consortium.models import User
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.conftest import consortium, org, user

pytestmark = pytest.mark.postgres_only
RACERS = 4


def _post_together(app, path: str, bodies: list[dict]) -> list[int]:
    start = threading.Barrier(len(bodies))
    codes: list[int] = [0] * len(bodies)

    def fire(index: int) -> None:
        client = app.test_client()
        start.wait(60)
        codes[index] = client.post(path, data=bodies[index]).status_code

    threads = [threading.Thread(target=fire, args=(i,), daemon=True) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a request hung (a deadlock?)"
    return codes


def _password(i: int) -> dict:
    return {"password": f"racing-password-{i:04d}", "confirm": f"racing-password-{i:04d}"}


def test_one_invitation_makes_one_account(app, committed):
    email = f"race-{uuid.uuid4().hex[:12]}@mesa.example"
    with app.test_request_context():
        _, path = services.invite(email=email, organization=org("Mesa"), role="buyer",
                                  actor=user("admin@gpsr.example"), consortium=consortium("gpsr"))
        db.session.commit()
    codes = _post_together(app, path, [{"name": f"Racer {i}", **_password(i)} for i in range(RACERS)])
    assert sorted(codes) == [302] + [410] * (RACERS - 1), codes
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.email == email)) == 1


def test_one_reset_link_sets_one_password(app, committed):
    email = f"race-{uuid.uuid4().hex[:12]}@scottsdale.example"  # a person of this test (removed afterwards)
    with app.test_request_context():
        people.create_user(email=email, name="Racing Reset", password="the-old-password",
                           organization=org("Scottsdale"), role="buyer")
        assert services.request_password_reset(email) is not None
        db.session.commit()
        path = db.session.scalar(select(Notification.link).where(Notification.email == email))
    codes = _post_together(app, path, [_password(i) for i in range(RACERS)])
    assert sorted(codes) == [302] + [410] * (RACERS - 1), codes
    with app.app_context():
        working = [i for i in range(RACERS) if people.authenticate(email, _password(i)["password"])]
        assert len(working) == 1
        db.session.rollback()
