"""Access matrix for vehicle and participation pages and their API.

The vehicles are led by Chandler, so Mesa (the matrix's buyer and approver) is a member that may
join; the participations are Mesa's unless the row says otherwise. Front Range people are strangers:
they see an active vehicle like the public, and get 404 for everything else.
"""

import pytest

from tests.access import case, expand, run_case
from tests.contracts.factories import make_participation, make_vehicle


def _draft():
    return {"id": make_vehicle("draft").id}


def _active():
    return {"id": make_vehicle("active").id}


def _terminated():
    return {"id": make_vehicle("terminated").id}


def _expired():
    return {"id": make_vehicle("expired").id}


def _requested():
    return {"id": make_participation(make_vehicle("active")).id}


def _tempe_requested():
    return {"id": make_participation(make_vehicle("active"), approver="approver@tempe.example").id}


def _executed():
    return {"id": make_participation(make_vehicle("active"), "executed").id}


C = "/c/<consortium_slug>"
V = f"{C}/vehicles/<int:vehicle_id>"
P = f"{C}/participations/<int:participation_id>"
INCOMPLETE = {"number": "GPSR-2026-001", "title": "Duplicate number"}
# Well-formed, so it passes the JSON Schema and reaches the permission check; the ids do not exist.
UNKNOWN_IDS = {"number": "GPSR-2026-099", "title": "Unknown lead and vendor", "lead_agency_id": 999999,
               "vendor_id": 999999, "start_date": "2026-01-01", "end_date": "2027-12-31", "ceiling": "100000.00"}

CASES = [
    case("GET", f"{C}/vehicles", "/c/gpsr/vehicles", anon=200, buyer=200, vendor=200, admin=200, other=200),
    case("GET", f"{C}/vehicles/export.csv", "/c/gpsr/vehicles/export.csv?status=active", anon=200, buyer=200,
         vendor=200, admin=200, other=200),
    case("GET", f"{C}/vehicles/new", "/c/gpsr/vehicles/new", anon=302, buyer=403, vendor=403, admin=200, other=404),
    case("POST", f"{C}/vehicles/new", "/c/gpsr/vehicles/new", data=INCOMPLETE,
         anon=302, buyer=403, vendor=403, admin=400, other=404),
    case("GET", V, "/c/gpsr/vehicles/{id}", setup=_active, anon=200, buyer=200, vendor=200, admin=200, other=200),
    case("GET", V, "/c/gpsr/vehicles/{id}?draft", setup=_draft, anon=404, buyer=404, vendor=404, admin=200, other=404),
    case("GET", V, "/c/gpsr/vehicles/{id}?terminated", setup=_terminated,
         anon=404, buyer=200, vendor=200, admin=200, other=404),
    case("GET", V, "/c/gpsr/vehicles/{id}?expired", setup=_expired,
         anon=404, buyer=200, vendor=200, admin=200, other=404),
    case("GET", f"{V}/edit", "/c/gpsr/vehicles/{id}/edit", setup=_draft,
         anon=404, buyer=404, vendor=404, admin=200, other=404),
    case("POST", f"{V}/edit", "/c/gpsr/vehicles/{id}/edit", setup=_draft, data=INCOMPLETE,
         anon=404, buyer=404, vendor=404, admin=400, other=404),
    case("POST", f"{V}/activate", "/c/gpsr/vehicles/{id}/activate", setup=_draft,
         anon=404, buyer=404, vendor=404, admin=302, other=404),
    case("POST", f"{V}/renew", "/c/gpsr/vehicles/{id}/renew", setup=_active,
         anon=302, buyer=403, vendor=403, admin=302, other=404),
    case("POST", f"{V}/terminate", "/c/gpsr/vehicles/{id}/terminate", setup=_active, data={"reason": "Fraud"},
         anon=302, buyer=403, vendor=403, admin=302, other=404),
    case("GET", f"{V}/terminate", "/c/gpsr/vehicles/{id}/terminate", setup=_active,
         anon=302, buyer=403, vendor=403, admin=200, other=404),
    case("GET", f"{V}/price-schedule", "/c/gpsr/vehicles/{id}/price-schedule", setup=_active,
         anon=302, buyer=403, vendor=403, admin=200, other=404),
    case("POST", f"{V}/price-schedule", "/c/gpsr/vehicles/{id}/price-schedule", setup=_active, data={},
         anon=302, buyer=403, vendor=403, admin=400, other=404),
    case("GET", f"{V}/join", "/c/gpsr/vehicles/{id}/join", setup=_active,
         anon=302, buyer=403, approver=200, vendor=403, admin=403, other=404),
    case("POST", f"{V}/join", "/c/gpsr/vehicles/{id}/join", setup=_active, data={"special_terms": "Net 45."},
         anon=302, buyer=403, approver=302, vendor=403, admin=403, other=404),
    case("GET", f"{C}/participations", "/c/gpsr/participations",
         anon=302, buyer=200, vendor=403, admin=200, other=404),
    case("GET", f"{C}/participations/export.csv", "/c/gpsr/participations/export.csv?status=requested",
         anon=302, buyer=200, vendor=403, admin=200, other=404),
    case("GET", P, "/c/gpsr/participations/{id}", setup=_requested,
         anon=302, buyer=200, vendor=404, admin=200, other=404),
    case("GET", P, "/c/gpsr/participations/{id}?tempe", setup=_tempe_requested,
         anon=302, buyer=404, vendor=404, admin=200, other=404),
    case("POST", f"{P}/decline", "/c/gpsr/participations/{id}/decline", setup=_requested, data={"reason": "Full"},
         anon=302, buyer=403, vendor=404, admin=302, other=404),
    case("GET", f"{P}/decline", "/c/gpsr/participations/{id}/decline", setup=_requested,
         anon=302, buyer=403, vendor=404, admin=200, other=404),
    case("GET", f"{P}/addendum.pdf", "/c/gpsr/participations/{id}/addendum.pdf", setup=_executed,
         anon=302, buyer=200, vendor=404, admin=200, other=404),
    case("GET", f"{P}/addendum.pdf", "/c/gpsr/participations/{id}/addendum.pdf?tempe", setup=_tempe_requested,
         anon=302, buyer=404, vendor=404, admin=409, other=404),
    # API
    case("GET", "/api/v1/vehicles", "/api/v1/vehicles?consortium=gpsr",
         anon=200, buyer=200, vendor=200, admin=200, other=200),
    case("POST", "/api/v1/vehicles", "/api/v1/vehicles?consortium=gpsr", json=UNKNOWN_IDS,
         anon=401, buyer=403, vendor=403, admin=400, other=404),
    case("GET", "/api/v1/vehicles/<int:vehicle_id>", "/api/v1/vehicles/{id}?consortium=gpsr", setup=_active,
         anon=200, buyer=200, vendor=200, admin=200, other=200),
    case("GET", "/api/v1/vehicles/<int:vehicle_id>", "/api/v1/vehicles/{id}?consortium=gpsr&draft", setup=_draft,
         anon=404, buyer=404, vendor=404, admin=200, other=404),
    case("GET", "/api/v1/vehicles/<int:vehicle_id>", "/api/v1/vehicles/{id}?consortium=gpsr&terminated",
         setup=_terminated, anon=404, buyer=200, vendor=200, admin=200, other=404),
    case("PATCH", "/api/v1/vehicles/<int:vehicle_id>", "/api/v1/vehicles/{id}?consortium=gpsr", setup=_draft,
         json={"title": "Adaptive street lighting, phase 2"}, anon=401, buyer=404, vendor=404, admin=200, other=404),
    case("POST", "/api/v1/vehicles/<int:vehicle_id>/activate", "/api/v1/vehicles/{id}/activate?consortium=gpsr",
         setup=_draft, anon=401, buyer=404, vendor=404, admin=200, other=404),
    case("POST", "/api/v1/vehicles/<int:vehicle_id>/renew", "/api/v1/vehicles/{id}/renew?consortium=gpsr",
         setup=_active, anon=401, buyer=403, vendor=403, admin=200, other=404),
    case("POST", "/api/v1/vehicles/<int:vehicle_id>/terminate", "/api/v1/vehicles/{id}/terminate?consortium=gpsr",
         setup=_active, json={"reason": "Vendor insolvent."}, anon=401, buyer=403, vendor=403, admin=200, other=404),
    case("POST", "/api/v1/vehicles/<int:vehicle_id>/price-schedule",
         "/api/v1/vehicles/{id}/price-schedule?consortium=gpsr", setup=_active,
         json={"items": [{"price_item_id": 999999, "contract_price": "1.00"}]},
         anon=401, buyer=403, vendor=403, admin=400, other=404),
    case("POST", "/api/v1/vehicles/<int:vehicle_id>/participations",
         "/api/v1/vehicles/{id}/participations?consortium=gpsr", setup=_active, json={"special_terms": "Net 45."},
         anon=401, buyer=403, approver=201, vendor=403, admin=403, other=404),
    case("GET", "/api/v1/participations", "/api/v1/participations?consortium=gpsr",
         anon=401, buyer=200, vendor=403, admin=200, other=404),
    case("GET", "/api/v1/participations/<int:participation_id>", "/api/v1/participations/{id}?consortium=gpsr",
         setup=_requested, anon=401, buyer=200, vendor=404, admin=200, other=404),
    case("GET", "/api/v1/participations/<int:participation_id>",
         "/api/v1/participations/{id}?consortium=gpsr&tempe", setup=_tempe_requested,
         anon=401, buyer=404, vendor=404, admin=200, other=404),
    case("POST", "/api/v1/participations/<int:participation_id>/decline",
         "/api/v1/participations/{id}/decline?consortium=gpsr", setup=_requested, json={"reason": "Ceiling used."},
         anon=401, buyer=403, vendor=404, admin=200, other=404),
    case("GET", "/api/v1/participations/<int:participation_id>/addendum.pdf",
         "/api/v1/participations/{id}/addendum.pdf?consortium=gpsr", setup=_executed,
         anon=401, buyer=200, vendor=404, admin=200, other=404),
    case("GET", "/api/v1/participations/<int:participation_id>/addendum.pdf",
         "/api/v1/participations/{id}/addendum.pdf?consortium=gpsr&requested", setup=_requested,
         anon=401, buyer=409, vendor=404, admin=409, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
