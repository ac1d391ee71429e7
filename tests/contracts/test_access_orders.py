"""Access matrix for order pages and the orders API. Orders belong to Mesa (the buyer principals'
member), under a vehicle Mesa leads, from ParkSense (the vendor principal)."""

import pytest

from tests.access import case, expand, run_case
from tests.contracts.order_factories import lines_for, make_order, make_vehicle


def _vehicle():
    return {"vehicle": make_vehicle(participants=()).id}


def _order(status, quantity="10"):
    def setup():
        vehicle = make_vehicle(participants=())
        order = make_order(vehicle, buyer="buyer@mesa.example", quantity=quantity, status=status)
        return {"order": order.id, "vehicle": vehicle.id}

    return setup


def _new_order_body():
    vehicle = make_vehicle(participants=())
    return {"vehicle": vehicle.id}


DRAFT, PENDING, APPROVED, ACTIVE = _order("draft"), _order("submitted", "600"), _order("submitted"), _order("active")
C = "/c/<consortium_slug>"
ORDER_URL = "/c/gpsr/orders/{order}"
FORM = {"po_number": "PO-9", "lines-0-price_item_id": "0", "lines-0-quantity": ""}

CASES = [
    case("GET", f"{C}/orders", "/c/gpsr/orders", anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", f"{C}/orders/export.csv", "/c/gpsr/orders/export.csv?status=draft", anon=302, buyer=200,
         vendor=200, admin=200, other=404),
    case("GET", f"{C}/vehicles/<int:vehicle_id>/orders/new", "/c/gpsr/vehicles/{vehicle}/orders/new", setup=_vehicle,
         anon=302, buyer=200, vendor=403, admin=403, other=404),
    case("POST", f"{C}/vehicles/<int:vehicle_id>/orders/new", "/c/gpsr/vehicles/{vehicle}/orders/new",
         setup=_vehicle, data=FORM, anon=302, buyer=400, vendor=403, admin=403, other=404),
    case("GET", f"{C}/orders/<int:order_id>", ORDER_URL, setup=DRAFT,
         anon=302, buyer=200, vendor=404, admin=200, other=404),
    case("GET", f"{C}/orders/<int:order_id>/edit", ORDER_URL + "/edit", setup=DRAFT,
         anon=302, buyer=200, vendor=404, admin=403, other=404),
    case("POST", f"{C}/orders/<int:order_id>/edit", ORDER_URL + "/edit", setup=DRAFT, data=FORM,
         anon=302, buyer=302, vendor=404, admin=403, other=404),
    case("POST", f"{C}/orders/<int:order_id>/submit", ORDER_URL + "/submit", setup=DRAFT,
         anon=302, buyer=302, vendor=404, admin=403, other=404),
    case("POST", f"{C}/orders/<int:order_id>/approve", ORDER_URL + "/approve", setup=PENDING,
         anon=302, buyer=403, approver=302, vendor=404, admin=403, other=404),
    case("POST", f"{C}/orders/<int:order_id>/decline", ORDER_URL + "/decline", setup=PENDING,
         data={"reason": "No budget"}, anon=302, buyer=403, approver=302, vendor=404, admin=403, other=404),
    case("POST", f"{C}/orders/<int:order_id>/accept", ORDER_URL + "/accept", setup=APPROVED,
         anon=302, buyer=403, vendor=302, admin=403, other=404),
    case("POST", f"{C}/orders/<int:order_id>/cancel", ORDER_URL + "/cancel", setup=DRAFT,
         anon=302, buyer=302, vendor=404, admin=403, other=404),
    case("POST", f"{C}/orders/<int:order_id>/complete", ORDER_URL + "/complete", setup=ACTIVE,
         anon=302, buyer=302, vendor=403, admin=403, other=404),
    case("POST", f"{C}/orders/<int:order_id>/terminate", ORDER_URL + "/terminate", setup=ACTIVE,
         data={"reason": "Budget cut"}, anon=302, buyer=403, approver=302, vendor=403, admin=302, other=404),
    # the confirmation pages of the irreversible steps (GET on the step's URL)
    case("GET", f"{C}/orders/<int:order_id>/terminate", ORDER_URL + "/terminate", setup=ACTIVE,
         anon=302, buyer=403, approver=200, vendor=403, admin=200, other=404),
    case("GET", f"{C}/orders/<int:order_id>/decline", ORDER_URL + "/decline", setup=PENDING,
         anon=302, buyer=403, approver=200, vendor=404, admin=403, other=404),
    case("GET", f"{C}/orders/<int:order_id>/cancel", ORDER_URL + "/cancel", setup=DRAFT,
         anon=302, buyer=200, vendor=404, admin=403, other=404),
    case("GET", f"{C}/orders/<int:order_id>/complete", ORDER_URL + "/complete", setup=ACTIVE,
         anon=302, buyer=200, vendor=403, admin=403, other=404),
    case("GET", f"{C}/orders/<int:order_id>/po.pdf", ORDER_URL + "/po.pdf", setup=APPROVED,
         anon=302, buyer=200, vendor=200, admin=200, other=404),
    # API
    case("GET", "/api/v1/orders", anon=401, buyer=200, vendor=200, admin=200, other=200),
    case("POST", "/api/v1/orders", setup=_new_order_body, url="/api/v1/orders?vehicle={vehicle}",
         json={"vehicle_id": 999999, "lines": []}, anon=401, buyer=404, vendor=404, admin=404, other=404),
    case("GET", "/api/v1/orders/<int:order_id>", "/api/v1/orders/{order}", setup=DRAFT,
         anon=401, buyer=200, vendor=404, admin=200, other=404),
    case("PATCH", "/api/v1/orders/<int:order_id>", "/api/v1/orders/{order}", setup=DRAFT, json={"po_number": "X"},
         anon=401, buyer=200, vendor=404, admin=403, other=404),
    case("POST", "/api/v1/orders/<int:order_id>/submit", "/api/v1/orders/{order}/submit", setup=DRAFT,
         anon=401, buyer=200, vendor=404, admin=403, other=404),
    case("POST", "/api/v1/orders/<int:order_id>/approve", "/api/v1/orders/{order}/approve", setup=PENDING,
         anon=401, buyer=403, approver=200, vendor=404, admin=403, other=404),
    case("POST", "/api/v1/orders/<int:order_id>/decline", "/api/v1/orders/{order}/decline", setup=PENDING,
         json={"reason": "No"}, anon=401, buyer=403, approver=200, vendor=404, admin=403, other=404),
    case("POST", "/api/v1/orders/<int:order_id>/accept", "/api/v1/orders/{order}/accept", setup=APPROVED,
         anon=401, buyer=403, vendor=200, admin=403, other=404),
    case("POST", "/api/v1/orders/<int:order_id>/cancel", "/api/v1/orders/{order}/cancel", setup=DRAFT,
         anon=401, buyer=200, vendor=404, admin=403, other=404),
    case("POST", "/api/v1/orders/<int:order_id>/terminate", "/api/v1/orders/{order}/terminate", setup=ACTIVE,
         json={"reason": "Budget cut"}, anon=401, buyer=403, approver=200, vendor=403, admin=200, other=404),
    case("POST", "/api/v1/orders/<int:order_id>/complete", "/api/v1/orders/{order}/complete", setup=ACTIVE,
         anon=401, buyer=200, vendor=403, admin=403, other=404),
    case("GET", "/api/v1/orders/<int:order_id>/po.pdf", "/api/v1/orders/{order}/po.pdf", setup=APPROVED,
         anon=401, buyer=200, vendor=200, admin=200, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)


def test_lines_helper_matches_schedule(app, _transaction):
    with app.test_request_context():
        vehicle = make_vehicle(participants=())
        assert len(lines_for(vehicle)) == len(vehicle.schedule) == 2
