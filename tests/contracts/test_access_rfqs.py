"""Access matrix for RFQ pages and their API.

The RFQs are Mesa's (the matrix's buyer issued them; its approver may award), under a vehicle led by Mesa that
awards ParkSense (the matrix's vendor) and FlowMobility. The office sees an RFQ but runs none of its steps; Front
Range people are strangers (404).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from contracts.sourcing import models as sourcing_models
from contracts.sourcing.rfqs import services
from marketplace.extensions import db
from tests.access import case, expand, run_case
from tests.conftest import user
from tests.contracts.award_factories import make_multi_award_vehicle
from tests.contracts.rfq_helpers import FLOW, PARK, QUOTED, rfq_body

BODY = {"title": "Curb sensors", "closes_at": "2026-01-01", "evaluation": "lowest_price",
        "lines": [{"name": "Sensor service", "unit": "per space per month", "quantity": "100"}]}


@contextmanager
def _later():
    """Sourcing's clock eight days ahead (past the RFQ's closing time), for the setup only."""
    original = sourcing_models.now
    sourcing_models.now = lambda: datetime.now(UTC) + timedelta(days=8)
    try:
        yield
    finally:
        sourcing_models.now = original


def _vehicle():
    return make_multi_award_vehicle((PARK, FLOW), lead="Mesa", participants=())


def _vehicle_ids():
    return {"id": _vehicle().id}


def _open():
    vehicle = _vehicle()
    rfq = services.issue_rfq(vehicle, rfq_body(lines=BODY["lines"]), actor=db.session.merge(user("buyer@mesa.example")))
    return rfq


def _open_ids():
    return {"id": _open().id}


def _closed_ids():
    rfq = _open()
    for vendor in (PARK, FLOW):
        award = rfq.vehicle.award_of(user(vendor).organization_id)
        item = next(line for line in award.schedule if line.price_item.name == "Sensor service")
        services.submit_quote(rfq, {"lines": [{"price_item_id": item.price_item_id, "unit_price": QUOTED[vendor][0]}]},
                              actor=db.session.merge(user(vendor)))
    with _later():
        services.close_rfq(rfq, actor=db.session.merge(user("buyer@mesa.example")))
    return {"id": rfq.id}


C = "/c/<consortium_slug>"
R = f"{C}/rfqs/<int:rfq_id>"
A = "/api/v1/rfqs/<int:rfq_id>"

CASES = [
    case("GET", f"{C}/rfqs", "/c/gpsr/rfqs", anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", f"{C}/rfqs/export.csv", "/c/gpsr/rfqs/export.csv", anon=302, buyer=200, vendor=200, admin=200,
         other=404),
    case("GET", f"{C}/vehicles/<int:vehicle_id>/rfqs/new", "/c/gpsr/vehicles/{id}/rfqs/new", setup=_vehicle_ids,
         anon=302, buyer=200, vendor=403, admin=403, other=404),
    case("POST", f"{C}/vehicles/<int:vehicle_id>/rfqs/new", "/c/gpsr/vehicles/{id}/rfqs/new", setup=_vehicle_ids,
         data={"title": ""}, anon=302, buyer=400, vendor=403, admin=403, other=404),
    case("GET", R, "/c/gpsr/rfqs/{id}", setup=_open_ids, anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", f"{R}/quote", "/c/gpsr/rfqs/{id}/quote", setup=_open_ids,
         anon=302, buyer=403, vendor=200, admin=403, other=404),
    case("POST", f"{R}/quote", "/c/gpsr/rfqs/{id}/quote", setup=_open_ids, data={"note": "x"},
         anon=302, buyer=403, vendor=400, admin=403, other=404),
    case("POST", f"{R}/close", "/c/gpsr/rfqs/{id}/close", setup=_open_ids,
         anon=302, buyer=409, vendor=403, admin=403, other=404),
    case("GET", f"{R}/award", "/c/gpsr/rfqs/{id}/award", setup=_closed_ids,
         anon=302, buyer=200, vendor=403, admin=403, other=404),
    case("POST", f"{R}/award", "/c/gpsr/rfqs/{id}/award", setup=_closed_ids, data={"justification": "x"},
         anon=302, buyer=400, vendor=403, admin=403, other=404),
    case("GET", f"{R}/cancel", "/c/gpsr/rfqs/{id}/cancel", setup=_open_ids,
         anon=302, buyer=200, vendor=403, admin=403, other=404),
    case("POST", f"{R}/cancel", "/c/gpsr/rfqs/{id}/cancel", setup=_open_ids, data={"reason": "No budget."},
         anon=302, buyer=302, vendor=403, admin=403, other=404),
    # API
    case("POST", "/api/v1/vehicles/<int:vehicle_id>/rfqs", "/api/v1/vehicles/{id}/rfqs?consortium=gpsr",
         setup=_vehicle_ids, json=lambda ids: rfq_body(lines=BODY["lines"]),
         anon=401, buyer=201, vendor=403, admin=403, other=404),
    case("GET", A, "/api/v1/rfqs/{id}?consortium=gpsr", setup=_open_ids,
         anon=401, buyer=200, vendor=200, admin=200, other=404),
    case("POST", f"{A}/quotes", "/api/v1/rfqs/{id}/quotes?consortium=gpsr", setup=_open_ids,
         json={"lines": [{"price_item_id": 999999, "unit_price": "1.00"}]},
         anon=401, buyer=403, vendor=400, admin=403, other=404),
    case("POST", f"{A}/close", "/api/v1/rfqs/{id}/close?consortium=gpsr", setup=_open_ids,
         anon=401, buyer=409, vendor=403, admin=403, other=404),
    case("POST", f"{A}/award", "/api/v1/rfqs/{id}/award?consortium=gpsr", setup=_closed_ids,
         json={"quote_id": 999999}, anon=401, buyer=400, vendor=403, admin=403, other=404),
    case("POST", f"{A}/cancel", "/api/v1/rfqs/{id}/cancel?consortium=gpsr", setup=_open_ids,
         json={"reason": "No budget."}, anon=401, buyer=200, vendor=403, admin=403, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
