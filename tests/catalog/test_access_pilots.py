"""Access matrix for pilot evidence: the pilot library, pilot pages, recording, verifying, linking.

Pilots recorded by Mesa are visible to Mesa's buyer and approver and to the office; other members and
vendors only see verified pilots (404 otherwise); Front Range people get 404 everywhere.
"""

import pytest

from catalog.pilots import services as pilots
from tests.access import case, expand, run_case
from tests.catalog.test_pilots import form_data, pilot_data, published_listing, recorded_pilot, verified_pilot
from tests.conftest import user

# The link forms need the id of a listing that only exists once the setup has run: the setup fills it in
# (run_case reads a case's data and json after calling its setup).
LINK_FORM: dict = {}
LINK_JSON: dict = {}


def _listing() -> dict:
    return {"listing_id": published_listing().id}


def _mesa_recorded() -> dict:
    return {"pilot_id": recorded_pilot().id}


def _mesa_verified() -> dict:
    return {"pilot_id": verified_pilot().id}


def _tempe_recorded() -> dict:
    return {"pilot_id": recorded_pilot("buyer@tempe.example").id}


def _linkable() -> dict:
    listing_id = published_listing().id
    LINK_FORM["listing_id"] = str(listing_id)
    LINK_JSON["listing_id"] = listing_id
    return {"pilot_id": recorded_pilot().id}


def _linked() -> dict:
    pilot = recorded_pilot()
    pilots.link_pilot(pilot, listing_id=published_listing().id, actor=user("admin@gpsr.example"))
    return {"pilot_id": pilot.id}


_VALID_BODY = pilot_data()
_LISTING_BODY = {k: v for k, v in pilot_data().items() if k not in ("vendor_name", "category")}

CASES = [
    # the library
    case("GET", "/c/<consortium_slug>/pilots", "/c/gpsr/pilots",
         anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", "/c/<consortium_slug>/pilots", "/c/gpsr/pilots?category=nowhere",
         anon=302, buyer=400, vendor=400, admin=400, other=404),
    case("GET", "/c/<consortium_slug>/pilots/export.csv", "/c/gpsr/pilots/export.csv?status=verified",
         anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", "/c/<consortium_slug>/pilots/export.csv", "/c/gpsr/pilots/export.csv?category=nowhere",
         anon=302, buyer=400, vendor=400, admin=400, other=404),
    # recording
    case("GET", "/c/<consortium_slug>/pilots/new", "/c/gpsr/pilots/new",
         anon=302, buyer=200, vendor=403, admin=403, other=404),
    case("GET", "/c/<consortium_slug>/pilots/new", "/c/gpsr/pilots/new?listing_id={listing_id}", setup=_listing,
         anon=302, buyer=200, vendor=403, admin=403, other=404),
    case("POST", "/c/<consortium_slug>/pilots/new", "/c/gpsr/pilots/new", data=form_data(),
         anon=302, buyer=302, vendor=403, admin=403, other=404),
    case("POST", "/c/<consortium_slug>/pilots/new", "/c/gpsr/pilots/new", data=form_data(title=""),
         anon=302, buyer=400, vendor=403, admin=403, other=404),
    # a pilot's page
    case("GET", "/c/<consortium_slug>/pilots/<int:pilot_id>", "/c/gpsr/pilots/{pilot_id}", setup=_mesa_recorded,
         anon=302, buyer=200, vendor=404, admin=200, other=404),
    case("GET", "/c/<consortium_slug>/pilots/<int:pilot_id>", "/c/gpsr/pilots/{pilot_id}", setup=_mesa_verified,
         anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", "/c/<consortium_slug>/pilots/<int:pilot_id>", "/c/gpsr/pilots/{pilot_id}", setup=_tempe_recorded,
         anon=302, buyer=404, vendor=404, admin=200, other=404),
    case("GET", "/c/<consortium_slug>/pilots/<int:pilot_id>", "/c/gpsr/pilots/999999",
         anon=302, buyer=404, vendor=404, admin=404, other=404),
    # verifying: the host's approver or the office; 409 once verified
    case("POST", "/c/<consortium_slug>/pilots/<int:pilot_id>/verify", "/c/gpsr/pilots/{pilot_id}/verify",
         setup=_mesa_recorded, anon=302, buyer=403, approver=302, vendor=404, admin=302, other=404),
    case("POST", "/c/<consortium_slug>/pilots/<int:pilot_id>/verify", "/c/gpsr/pilots/{pilot_id}/verify",
         setup=_mesa_verified, anon=302, buyer=403, approver=409, vendor=403, admin=409, other=404),
    case("POST", "/c/<consortium_slug>/pilots/<int:pilot_id>/verify", "/c/gpsr/pilots/{pilot_id}/verify",
         setup=_tempe_recorded, anon=302, buyer=404, vendor=404, admin=302, other=404),
    # linking: the office only; 409 once linked
    case("POST", "/c/<consortium_slug>/pilots/<int:pilot_id>/link", "/c/gpsr/pilots/{pilot_id}/link",
         setup=_linkable, data=LINK_FORM, anon=302, buyer=403, vendor=404, admin=302, other=404),
    case("POST", "/c/<consortium_slug>/pilots/<int:pilot_id>/link", "/c/gpsr/pilots/{pilot_id}/link",
         setup=_mesa_recorded, data={"listing_id": "999999"}, anon=302, buyer=403, vendor=404, admin=400, other=404),
    case("POST", "/c/<consortium_slug>/pilots/<int:pilot_id>/link", "/c/gpsr/pilots/{pilot_id}/link",
         setup=_linked, data={"listing_id": "1"}, anon=302, buyer=403, vendor=404, admin=409, other=404),
    # the API
    case("GET", "/api/v1/pilots", "/api/v1/pilots?consortium=gpsr",
         anon=401, buyer=200, vendor=200, admin=200, other=404),
    case("POST", "/api/v1/pilots", "/api/v1/pilots?consortium=gpsr", json=_VALID_BODY,
         anon=401, buyer=201, vendor=403, admin=403, other=404),
    case("POST", "/api/v1/pilots", "/api/v1/pilots?consortium=gpsr", json={**_VALID_BODY, "metrics": []},
         anon=401, buyer=400, vendor=403, admin=403, other=404),
    case("POST", "/api/v1/pilots", "/api/v1/pilots?consortium=gpsr", json={**_VALID_BODY, "cost": 5},
         anon=401, buyer=400, vendor=400, admin=400, other=400),  # the body's shape is checked first
    case("POST", "/api/v1/listings/<int:listing_id>/pilots", "/api/v1/listings/{listing_id}/pilots?consortium=gpsr",
         setup=_listing, json=_LISTING_BODY, anon=401, buyer=201, vendor=403, admin=403, other=404),
    case("POST", "/api/v1/listings/<int:listing_id>/pilots", "/api/v1/listings/999999/pilots?consortium=gpsr",
         json=_LISTING_BODY, anon=401, buyer=404, vendor=404, admin=404, other=404),
    case("GET", "/api/v1/pilots/<int:pilot_id>", "/api/v1/pilots/{pilot_id}?consortium=gpsr", setup=_mesa_recorded,
         anon=401, buyer=200, vendor=404, admin=200, other=404),
    case("GET", "/api/v1/pilots/<int:pilot_id>", "/api/v1/pilots/{pilot_id}", setup=_mesa_verified,
         anon=401, buyer=200, vendor=200, admin=200, other=404),
    case("POST", "/api/v1/pilots/<int:pilot_id>/verify", "/api/v1/pilots/{pilot_id}/verify?consortium=gpsr",
         setup=_mesa_recorded, anon=401, buyer=403, approver=200, vendor=404, admin=200, other=404),
    case("POST", "/api/v1/pilots/<int:pilot_id>/verify", "/api/v1/pilots/{pilot_id}/verify?consortium=gpsr",
         setup=_mesa_verified, anon=401, buyer=403, approver=409, vendor=403, admin=409, other=404),
    case("POST", "/api/v1/pilots/<int:pilot_id>/link", "/api/v1/pilots/{pilot_id}/link?consortium=gpsr",
         setup=_linkable, json=LINK_JSON, anon=401, buyer=403, vendor=404, admin=200, other=404),
    case("POST", "/api/v1/pilots/<int:pilot_id>/link", "/api/v1/pilots/{pilot_id}/link?consortium=gpsr",
         setup=_linked, json={"listing_id": 1}, anon=401, buyer=403, vendor=404, admin=409, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
