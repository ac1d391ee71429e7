"""Access matrix for signing participating addenda: sign (the member's approver), countersign at the old
`approve` address (the office), the terms (either), verification and the signatures (whoever sees the
participation). The participations are Mesa's (the matrix's buyer and approver) under a vehicle led by
Chandler; Front Range people are strangers (404)."""

import pytest

from contracts.vehicles.signing import services as signing
from marketplace.extensions import db
from tests.access import case, expand, run_case
from tests.conftest import user
from tests.contracts.factories import COUNTERSIGN, SIGN, make_participation, make_vehicle


def _requested():
    return {"id": make_participation(make_vehicle("active")).id}


def _signed():
    participation = make_participation(make_vehicle("active"))
    signing.sign_participation(participation, SIGN, actor=db.session.merge(user("approver@mesa.example")))
    return {"id": participation.id}


C = "/c/<consortium_slug>"
P = f"{C}/participations/<int:participation_id>"
A = "/api/v1/participations/<int:participation_id>"
DIGEST = "0" * 64

CASES = [
    case("GET", f"{P}/sign", "/c/gpsr/participations/{id}/sign", setup=_requested,
         anon=302, buyer=403, approver=200, vendor=404, admin=403, other=404),
    case("POST", f"{P}/sign", "/c/gpsr/participations/{id}/sign", setup=_requested, data={"title": "Mayor"},
         anon=302, buyer=403, approver=400, vendor=404, admin=403, other=404),
    case("GET", f"{P}/approve", "/c/gpsr/participations/{id}/approve", setup=_signed,
         anon=302, buyer=403, vendor=404, admin=200, other=404),
    case("POST", f"{P}/approve", "/c/gpsr/participations/{id}/approve", setup=_signed, data=COUNTERSIGN,
         anon=302, buyer=403, vendor=404, admin=302, other=404),
    case("POST", f"{P}/approve", "/c/gpsr/participations/{id}/approve?unsigned", setup=_requested,
         data=COUNTERSIGN, anon=302, buyer=403, vendor=404, admin=409, other=404),
    case("GET", f"{P}/terms", "/c/gpsr/participations/{id}/terms", setup=_requested,
         anon=302, buyer=403, approver=200, vendor=404, admin=200, other=404),
    case("POST", f"{P}/terms", "/c/gpsr/participations/{id}/terms", setup=_signed,
         data={"special_terms": "Net 45."}, anon=302, buyer=403, approver=302, vendor=404, admin=302, other=404),
    case("GET", f"{P}/verify", "/c/gpsr/participations/{id}/verify?digest=" + DIGEST, setup=_signed,
         anon=302, buyer=200, vendor=404, admin=200, other=404),
    case("POST", f"{P}/verify", "/c/gpsr/participations/{id}/verify", setup=_signed, data={},
         anon=302, buyer=400, vendor=404, admin=400, other=404),  # no file: refused with a message
    # API
    case("POST", f"{A}/sign", "/api/v1/participations/{id}/sign?consortium=gpsr", setup=_requested, json=SIGN,
         anon=401, buyer=403, approver=200, vendor=404, admin=403, other=404),
    case("POST", f"{A}/approve", "/api/v1/participations/{id}/approve?consortium=gpsr", setup=_signed,
         json=COUNTERSIGN, anon=401, buyer=403, vendor=404, admin=200, other=404),
    case("POST", f"{A}/approve", "/api/v1/participations/{id}/approve?consortium=gpsr&unsigned", setup=_requested,
         json=COUNTERSIGN, anon=401, buyer=403, vendor=404, admin=409, other=404),
    case("PATCH", f"{A}/terms", "/api/v1/participations/{id}/terms?consortium=gpsr", setup=_signed,
         json={"special_terms": "Net 45."}, anon=401, buyer=403, approver=200, vendor=404, admin=200, other=404),
    case("GET", f"{A}/signatures", "/api/v1/participations/{id}/signatures?consortium=gpsr", setup=_signed,
         anon=401, buyer=200, vendor=404, admin=200, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
