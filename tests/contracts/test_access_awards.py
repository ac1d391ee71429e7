"""Access matrix for adding an award (another vendor) to a draft vehicle: the consortium office only; a
draft is invisible to everyone else (404), and an active vehicle's awards cannot change (303 to its page)."""

import pytest

from tests.access import case, expand, run_case
from tests.contracts.factories import make_vehicle


def _draft():
    return {"id": make_vehicle("draft").id}


def _active():
    return {"id": make_vehicle("active").id}


A = "/c/<consortium_slug>/vehicles/<int:vehicle_id>/awards/new"

CASES = [
    case("GET", A, "/c/gpsr/vehicles/{id}/awards/new", setup=_draft,
         anon=404, buyer=404, vendor=404, admin=200, other=404),
    case("POST", A, "/c/gpsr/vehicles/{id}/awards/new", setup=_draft, data={},
         anon=404, buyer=404, vendor=404, admin=400, other=404),
    case("GET", A, "/c/gpsr/vehicles/{id}/awards/new?active", setup=_active,
         anon=302, buyer=403, vendor=403, admin=303, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
