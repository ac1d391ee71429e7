"""Access matrix for accounts: invitations, password resets and signing out everywhere.

The links from e-mails work for anyone holding them (signed in or not): an unknown token is 404 for
everybody. Inviting and revoking follow the consortium's rules (admins; a city's approver for their own
city; strangers 404). `/c/<slug>/users/new` (GET and POST) is in tests/consortium/test_access.py."""

import pytest

from consortium.accounts import services
from tests.access import case, expand, run_case
from tests.conftest import consortium, org, user

UNKNOWN = "x" * 43
NEW_PASSWORD = {"password": "a-long-enough-password", "confirm": "a-long-enough-password"}


def _mesa_invitation() -> dict:
    invitation, path = services.invite(email="matrix.person@mesa.example", organization=org("Mesa"), role="buyer",
                                       actor=user("admin@gpsr.example"), consortium=consortium("gpsr"))
    return {"invitation_id": invitation.id, "token": path.rsplit("/", 1)[-1]}


def _reset_link() -> dict:
    reset = services.request_password_reset("buyer@tempe.example")
    from marketplace.extensions import db
    from marketplace.notifications.models import Notification

    note = db.session.scalar(db.select(Notification).where(Notification.email == "buyer@tempe.example")
                             .order_by(Notification.id.desc()))
    assert reset is not None
    return {"token": note.link.rsplit("/", 1)[-1]}


CASES = [
    case("GET", "/invitations/<token>", f"/invitations/{UNKNOWN}",
         anon=404, buyer=404, vendor=404, admin=404, other=404),
    case("POST", "/invitations/<token>", f"/invitations/{UNKNOWN}",
         data={"name": "X", **NEW_PASSWORD}, anon=404, buyer=404, vendor=404, admin=404, other=404),
    case("GET", "/forgot-password", anon=200, buyer=200, vendor=200, admin=200, other=200),
    case("POST", "/forgot-password", data={"email": "nobody@nowhere.example"},
         anon=200, buyer=200, vendor=200, admin=200, other=200),
    case("GET", "/reset-password/<token>", f"/reset-password/{UNKNOWN}",
         anon=404, buyer=404, vendor=404, admin=404, other=404),
    case("POST", "/reset-password/<token>", f"/reset-password/{UNKNOWN}", data=NEW_PASSWORD,
         anon=404, buyer=404, vendor=404, admin=404, other=404),
    case("POST", "/account/sign-out-everywhere", anon=302, buyer=302, vendor=302, admin=302, other=302),
    case("POST", "/c/<consortium_slug>/invitations/<int:invitation_id>/revoke",
         "/c/gpsr/invitations/{invitation_id}/revoke", setup=_mesa_invitation,
         anon=302, buyer=403, approver=302, vendor=403, admin=302, other=404),
    case("POST", "/c/<consortium_slug>/invitations/<int:invitation_id>/revoke", "/c/gpsr/invitations/999999/revoke",
         anon=302, buyer=403, approver=404, vendor=403, admin=404, other=404),
]

# A valid link is a valid link, whoever follows it (its holder is not signed in as anyone yet).
VALID_LINKS = [
    case("GET", "/invitations/<token>", "/invitations/{token}", setup=_mesa_invitation,
         anon=200, buyer=200, vendor=200, admin=200, other=200),
    case("GET", "/reset-password/<token>", "/reset-password/{token}", setup=_reset_link,
         anon=200, buyer=200, vendor=200, admin=200, other=200),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES + VALID_LINKS),
                         ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
