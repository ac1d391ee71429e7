"""Invitations end to end: an admin (any organization of the consortium) or a city's approver (their own
city, buyers and approvers) invites by e-mail; the person follows the e-mailed link, chooses a name and a
password, and is signed in. The link works once, for 7 days; a withdrawn, used or expired one changes
nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consortium.accounts.models import Invitation
from consortium.models import User
from marketplace.audit import AuditEvent
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.notifications.delivery import deliver_pending
from marketplace.notifications.models import Notification
from tests import conftest
from tests.conftest import fetch, org, user
from tests.mailbox import html_of, text_of

LINK = re.compile(r"http://localhost(/invitations/[A-Za-z0-9_-]+)")
GOOD = {"name": "Pat Lee", "password": "correct-horse-battery", "confirm": "correct-horse-battery"}


def _invite(client, email: str, org_name: str, role: str = "buyer", slug: str = "gpsr"):
    return client.post(f"/c/{slug}/users/new", data={"email": email, "organization_id": org(org_name).id,
                                                     "role": role})


def _deliver(app):
    with app.app_context():
        return deliver_pending()


def _link(mailbox, address: str) -> str:
    """The path of the invitation link in the (last) e-mail to `address`."""
    messages = mailbox.to(address)
    assert messages, f"no e-mail to {address}"
    found = LINK.findall(text_of(messages[-1]))
    assert found, text_of(messages[-1])
    return found[0]


def _invitations(email: str) -> list[Invitation]:
    """The invitations of an address, oldest first (detached, their columns readable)."""
    with conftest._APP.app_context():
        rows = list(db.session.scalars(select(Invitation).where(Invitation.email == email).order_by(Invitation.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def _count(model) -> int:
    return fetch(select(func.count()).select_from(model))


def _actions(object_type: str) -> list[str]:
    with conftest._APP.app_context():
        return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == object_type)
                                       .order_by(AuditEvent.id)))


def test_admin_invites_and_the_person_joins_through_the_emailed_link(app, client, login, smtp_server):
    login("admin@gpsr.example")
    response = _invite(client, "Pat.Lee@Tempe.example", "Tempe")
    assert response.status_code == 302
    page = client.get("/c/gpsr/users").get_data(as_text=True)
    assert "Invitation e-mailed to pat.lee@tempe.example" in page and "Revoke" in page
    assert user("pat.lee@tempe.example") is None  # no account until the person accepts

    assert _deliver(app).sent >= 1
    [message] = smtp_server.to("pat.lee@tempe.example")
    assert " ".join(message["Subject"].split()) == "[Greater Phoenix Smart Region] You are invited: buyer of Tempe"
    text = text_of(message)
    assert "GPSR Program Office (Greater Phoenix Smart Region Office) invited you" in text
    assert "buyer of Tempe" in text and "works once" in text
    path = _link(smtp_server, "pat.lee@tempe.example")
    assert text.count(f"http://localhost{path}") == 2  # in the sentence and as "Open it:"
    assert f'href="http://localhost{path}"' in html_of(message)
    # The stored copy of the e-mail no longer holds the secret link.
    note = fetch(select(Notification).where(Notification.email == "pat.lee@tempe.example"))
    assert path not in note.body and note.link is None

    client.post("/logout")
    form = client.get(path)
    assert form.status_code == 200
    assert "Join Greater Phoenix Smart Region" in form.get_data(as_text=True)
    assert "pat.lee@tempe.example" in form.get_data(as_text=True)
    joined = client.post(path, data=GOOD)
    assert joined.status_code == 302 and joined.headers["Location"].endswith("/c/gpsr/")
    account = client.get("/account").get_data(as_text=True)
    assert "Pat Lee" in account and "Tempe" in account  # signed in as the new person

    person = user("pat.lee@tempe.example")
    assert person.role == "buyer" and person.organization.name == "Tempe" and person.is_active
    [invitation] = _invitations("pat.lee@tempe.example")
    assert invitation.accepted_at is not None and invitation.user_id == person.id
    assert _actions("invitation") == ["invitation.sent", "invitation.accepted"]
    assert "user.created" in _actions("user")

    # The link works once.
    client.post("/logout")
    users_before = _count(User)
    again = client.get(path)
    assert again.status_code == 410 and "already used" in again.get_data(as_text=True)
    reused = client.post(path, data={**GOOD, "name": "Someone Else"})
    assert reused.status_code == 410 and _count(User) == users_before
    assert client.post("/login", data={"email": "pat.lee@tempe.example",
                                       "password": "correct-horse-battery"}).status_code == 302


def test_an_expired_invitation_answers_410_and_changes_nothing(app, client, login, smtp_server):
    login("admin@gpsr.example")
    assert _invite(client, "late@tempe.example", "Tempe").status_code == 302
    _deliver(app)
    path = _link(smtp_server, "late@tempe.example")
    with app.app_context():
        invitation = db.session.scalar(select(Invitation).where(Invitation.email == "late@tempe.example"))
        assert invitation.expires_at - invitation.created_at == timedelta(days=7)
        invitation.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    client.post("/logout")
    page = client.get(path)
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    assert client.post(path, data=GOOD).status_code == 410
    assert user("late@tempe.example") is None
    [stored] = _invitations("late@tempe.example")
    assert stored.accepted_at is None
    login("admin@gpsr.example")
    assert "late@tempe.example" not in client.get("/c/gpsr/users").get_data(as_text=True)  # not open any more


@pytest.mark.parametrize("token", ["x" * 43, "short", "a" * 43 + "%00", "."])
def test_an_unknown_link_answers_404(client, token):
    response = client.get(f"/invitations/{token}")
    assert response.status_code == 404
    assert client.post(f"/invitations/{token}", data=GOOD).status_code == 404
    if response.status_code == 404 and "not valid" in response.get_data(as_text=True):
        assert "Check that you copied the whole address" in response.get_data(as_text=True)


def test_a_revoked_invitation_stops_working(app, client, login, smtp_server):
    login("admin@gpsr.example")
    _invite(client, "gone@tempe.example", "Tempe")
    _deliver(app)
    path = _link(smtp_server, "gone@tempe.example")
    [invitation] = _invitations("gone@tempe.example")
    response = client.post(f"/c/gpsr/invitations/{invitation.id}/revoke", follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "was withdrawn" in page and "gone@tempe.example" not in page.split("Open invitations")[1]
    again = client.post(f"/c/gpsr/invitations/{invitation.id}/revoke", follow_redirects=True)
    assert "already withdrawn" in again.get_data(as_text=True)
    client.post("/logout")
    assert client.get(path).status_code == 410
    assert client.post(path, data=GOOD).status_code == 410 and user("gone@tempe.example") is None
    assert _actions("invitation")[-1] == "invitation.revoked"


def test_inviting_again_replaces_the_open_invitation(app, client, login, smtp_server):
    login("admin@gpsr.example")
    _invite(client, "twice@tempe.example", "Tempe")
    _deliver(app)
    first = _link(smtp_server, "twice@tempe.example")
    _invite(client, "twice@tempe.example", "Tempe", role="approver")
    _deliver(app)
    second = _link(smtp_server, "twice@tempe.example")
    assert first != second
    page = client.get("/c/gpsr/users").get_data(as_text=True).split("Open invitations")[1]
    assert page.count('<th scope="row">twice@tempe.example</th>') == 1
    client.post("/logout")
    assert client.get(first).status_code == 410
    assert client.post(second, data=GOOD).status_code == 302
    assert user("twice@tempe.example").role == "approver"


@pytest.mark.parametrize(("data", "field", "words"), [
    ({"email": "new@tempe.example", "org": "Tempe", "role": "vendor"}, "role", "can be buyer or approver"),
    ({"email": "new@tempe.example", "org": "Tempe", "role": "overlord"}, "role", "Choose one of"),
    ({"email": "not-an-address", "org": "Tempe", "role": "buyer"}, "email", "E-mail address"),
    ({"email": "new@tempe.example", "org": "Boulder", "role": "buyer"}, "organization_id",
     "organizations of this consortium"),
])
def test_admin_invitation_refusals_save_and_send_nothing(app, client, login, smtp_server, data, field, words):
    login("admin@gpsr.example")
    before = _count(Invitation)
    response = client.post("/c/gpsr/users/new", data={"email": data["email"], "role": data["role"],
                                                      "organization_id": org(data["org"]).id})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'href="#{field}"' in page and words in page
    assert _count(Invitation) == before
    _deliver(app)
    assert smtp_server.to(data["email"].lower()) == []


@pytest.mark.parametrize("address", ["buyer@mesa.example", "BUYER@mesa.example"])
def test_inviting_an_address_with_an_account_answers_alike_and_tells_only_its_owner(app, client, login,
                                                                                   smtp_server, address):
    """No enumeration (DESIGN section 9): the inviter sees what a new address gets; the owner is told to sign
    in, and the e-mail carries no link that makes an account."""
    login("admin@gpsr.example")
    known = _invite(client, address, "Tempe")
    unknown = _invite(client, "nobody.yet@tempe.example", "Tempe")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    page = client.get(known.headers["Location"]).get_data(as_text=True)
    assert "Invitation e-mailed to buyer@mesa.example" in page
    _deliver(app)
    [message] = smtp_server.to("buyer@mesa.example")
    text = text_of(message)
    assert "You already have an account with this e-mail address" in text and "http://localhost/login" in text
    assert LINK.findall(text) == []


def test_an_approver_invites_for_their_own_city_only(app, client, login, smtp_server):
    login("admin@gpsr.example")
    _invite(client, "someone@tempe.example", "Tempe")
    [tempe_invitation] = _invitations("someone@tempe.example")

    login("approver@mesa.example")
    form = client.get("/c/gpsr/users/new").get_data(as_text=True)
    assert "Mesa (Member)" in form and "Tempe" not in form and 'value="admin"' not in form
    assert _invite(client, "new.buyer@mesa.example", "Mesa").status_code == 302
    assert _invite(client, "new.approver@mesa.example", "Mesa", role="approver").status_code == 302
    for email, org_name, role, words in [
        ("x@tempe.example", "Tempe", "buyer", "You can invite people into Mesa only."),
        ("x@mesa.example", "Mesa", "admin", "can be buyer or approver"),
        ("x@mesa.example", "Greater Phoenix Smart Region Office", "admin", "into Mesa only"),
        ("x@mesa.example", "ParkSense", "vendor", "into Mesa only"),
        ("someone@tempe.example", "Mesa", "buyer", "already invited this address"),
    ]:
        response = _invite(client, email, org_name, role)
        assert response.status_code in (400, 409) and words in response.get_data(as_text=True), (email, org_name)
    assert _invitations("x@tempe.example") == [] and _invitations("x@mesa.example") == []
    assert _invitations("someone@tempe.example")[0].revoked_at is None  # not replaced by the approver

    page = client.get("/c/gpsr/users").get_data(as_text=True)
    people, invitations = page.split("Open invitations")
    assert "buyer@mesa.example" in people and "buyer@tempe.example" not in people
    assert "Deactivate" not in people  # approvers invite; the office deactivates
    assert "new.buyer@mesa.example" in invitations and "someone@tempe.example" not in invitations
    assert client.post(f"/c/gpsr/invitations/{tempe_invitation.id}/revoke").status_code == 403
    [own] = _invitations("new.buyer@mesa.example")
    assert client.post(f"/c/gpsr/invitations/{own.id}/revoke").status_code == 302

    _deliver(app)
    client.post("/logout")
    assert client.post(_link(smtp_server, "new.approver@mesa.example"), data=GOOD).status_code == 302
    assert user("new.approver@mesa.example").organization.name == "Mesa"


def test_strangers_and_buyers_cannot_invite_or_revoke(client, login):
    login("admin@gpsr.example")
    _invite(client, "kept@tempe.example", "Tempe")
    [invitation] = _invitations("kept@tempe.example")
    login("buyer@mesa.example")
    assert _invite(client, "x@mesa.example", "Mesa").status_code == 403
    assert client.post(f"/c/gpsr/invitations/{invitation.id}/revoke").status_code == 403
    login("admin@frca.example")
    assert client.post(f"/c/gpsr/invitations/{invitation.id}/revoke").status_code == 404
    assert client.post(f"/c/frca/invitations/{invitation.id}/revoke").status_code == 404
    assert _invitations("kept@tempe.example")[0].revoked_at is None
    assert _invitations("x@mesa.example") == []


@pytest.mark.parametrize(("data", "field", "words"), [
    ({**GOOD, "name": "x" * 201}, "name", "at most 200"),
    ({**GOOD, "name": ""}, "name", "required"),
    ({**GOOD, "name": "Pat\x00Lee"}, "name", "control character"),
    ({**GOOD, "password": "short", "confirm": "short"}, "password", "at least 12"),
    ({**GOOD, "password": "correct-horse\x07battery", "confirm": "correct-horse\x07battery"}, "password",
     "control character"),
    ({**GOOD, "confirm": "something-else-entirely"}, "confirm", "differ"),
])
def test_bad_input_on_the_accept_page_saves_nothing(app, client, login, smtp_server, data, field, words):
    login("admin@gpsr.example")
    _invite(client, "careful@tempe.example", "Tempe")
    _deliver(app)
    path = _link(smtp_server, "careful@tempe.example")
    client.post("/logout")
    response = client.post(path, data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'href="#{field}"' in page and words in page, page[:3000]
    assert user("careful@tempe.example") is None
    assert _invitations("careful@tempe.example")[0].accepted_at is None
    assert client.get("/account").status_code == 302  # not signed in
    assert client.post(path, data=GOOD).status_code == 302  # the link still works


def test_the_command_line_invites_and_prints_the_link(app, client, smtp_server):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "invite", "cli.person@chandler.example", "--org", "Chandler",
                                 "--role", "approver"])
    assert result.exit_code == 0, result.output
    printed = LINK.findall(result.output)
    assert printed and "approver of Chandler" in result.output
    _deliver(app)
    assert _link(smtp_server, "cli.person@chandler.example") == printed[0]
    assert client.post(printed[0], data=GOOD).status_code == 302
    assert user("cli.person@chandler.example").role == "approver"

    bad = runner.invoke(args=["users", "invite", "buyer@mesa.example", "--org", "Mesa", "--role", "buyer"])
    assert bad.exit_code != 0 and "already has an account" in bad.output
    wrong = runner.invoke(args=["users", "invite", "y@mesa.example", "--org", "Mesa", "--role", "vendor"])
    assert wrong.exit_code != 0 and "role" in wrong.output
    shared = runner.invoke(args=["users", "invite", "z@brightstreet.example", "--org", "BrightStreet Lighting",
                                 "--role", "vendor"])
    assert shared.exit_code != 0 and "--consortium" in shared.output
    named = runner.invoke(args=["users", "invite", "z@brightstreet.example", "--org", "BrightStreet Lighting",
                                "--role", "vendor", "--consortium", "frca"])
    assert named.exit_code == 0, named.output
    assert _invitations("z@brightstreet.example")[0].consortium_id == fetch(
        select(Invitation.consortium_id).where(Invitation.email == "z@brightstreet.example"))
