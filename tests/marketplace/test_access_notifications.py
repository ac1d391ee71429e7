"""Access matrix for the inbox and the e-mail preferences: every signed-in person has their own (200),
anonymous visitors are sent to sign in (302) or get 401; a notification is its recipient's alone (others,
whoever they are, get 404)."""

import pytest

from marketplace.notifications import services
from tests.access import case, expand, run_case
from tests.conftest import user


def _note():
    person = user("buyer@mesa.example")
    [note] = services.notify([person], kind="invoice", subject="Invoice BS-1 was approved", body="Approved.",
                             consortium_id=person.organization.consortium_id, link="/c/gpsr/orders")
    return {"note": note.id}


EVERYONE = {"buyer": 200, "vendor": 200, "admin": 200, "other": 200}

CASES = [
    case("GET", "/notifications", anon=302, **EVERYONE),
    case("POST", "/notifications/read-all", anon=302, buyer=302, vendor=302, admin=302, other=302),
    case("POST", "/notifications/<int:notification_id>/read", "/notifications/{note}/read", setup=_note,
         anon=302, buyer=302, approver=404, vendor=404, admin=404, other=404),
    case("GET", "/account/notifications", anon=302, **EVERYONE),
    case("POST", "/account/notifications", data={"invoice": "on"},
         anon=302, buyer=302, vendor=302, admin=302, other=302),
    case("GET", "/api/v1/notifications", anon=401, **EVERYONE),
    case("POST", "/api/v1/notifications/<int:notification_id>/read", "/api/v1/notifications/{note}/read",
         setup=_note, anon=401, buyer=200, approver=404, vendor=404, admin=404, other=404),
    case("GET", "/api/v1/me/preferences", anon=401, **EVERYONE),
    case("PUT", "/api/v1/me/preferences", json={"email": {"invoice": False}}, anon=401, **EVERYONE),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: getattr(v, "id", v))
def test_access(app, client, login, api_token, _transaction, c, principal):
    run_case(app, client, login, api_token, c, principal)
