"""Orders as buyers, approvers, vendors and admins meet them."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from contracts.orders.models import Order
from contracts.vehicles.models import Participation, Vehicle
from marketplace.audit import AuditEvent
from tests.conftest import fetch
from tests.contracts.order_factories import lines_for, make_order, make_vehicle


def _vehicle(app, **kw):
    with app.test_request_context():
        return make_vehicle(**kw)


def _committed(vehicle_id):
    return fetch(select(Vehicle.committed).where(Vehicle.id == vehicle_id))


def test_journey_through_the_api(app, client, api_token):
    vehicle = _vehicle(app)
    buyer, approver = api_token("buyer@tempe.example"), api_token("approver@tempe.example")
    vendor = api_token("vendor@parksense.example")
    # 200 luminaires at 405.00 and 200 nodes at 108.00 = 102,600.00 > Tempe's 100,000.00 limit
    body = {"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "200"), "po_number": "TMP-2026-17"}
    created = client.post("/api/v1/orders", json=body, headers=buyer)
    assert created.status_code == 201, created.get_json()
    order = created.get_json()
    assert order["status"] == "draft" and order["value"] == "102600.00"
    assert _committed(vehicle.id) == Decimal("0.00")
    submitted = client.post(f"/api/v1/orders/{order['id']}/submit", headers=buyer).get_json()
    assert submitted["status"] == "pending_approval"
    assert _committed(vehicle.id) == Decimal("102600.00")
    assert client.post(f"/api/v1/orders/{order['id']}/accept", headers=vendor).status_code == 404  # not yet visible
    approved = client.post(f"/api/v1/orders/{order['id']}/approve", json={"reason": "Budgeted"}, headers=approver)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    accepted = client.post(f"/api/v1/orders/{order['id']}/accept", headers=vendor).get_json()
    assert accepted["status"] == "active"
    detail = client.get(f"/api/v1/orders/{order['id']}", headers=buyer).get_json()
    assert [e["action"] for e in detail["timeline"]] == [
        "order.created", "order.submitted", "order.pending_approval", "order.approved", "order.accepted"]
    vehicle_after = fetch(select(Vehicle).where(Vehicle.id == vehicle.id))
    assert vehicle_after.remaining == Decimal("500000.00") - Decimal("102600.00")


def test_order_within_the_limit_is_approved_on_submit(app, client, api_token):
    vehicle = _vehicle(app)
    buyer = api_token("buyer@tempe.example")
    order = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "10")},
                        headers=buyer).get_json()
    assert client.post(f"/api/v1/orders/{order['id']}/submit", headers=buyer).get_json()["status"] == "approved"


def test_journey_through_the_pages(app, client, login):
    vehicle = _vehicle(app)
    login("buyer@tempe.example")
    form = {"po_number": "TMP-88"}
    for i, item in enumerate(vehicle.schedule):
        form[f"lines-{i}-price_item_id"] = str(item.price_item_id)
        form[f"lines-{i}-quantity"] = "200"
        form[f"lines-{i}-unit_price"] = ""
    response = client.post(f"/c/gpsr/vehicles/{vehicle.id}/orders/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    order_id = fetch(select(func.max(Order.id)))
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    assert "$102,600.00" in page and "Submit order" in page
    client.post(f"/c/gpsr/orders/{order_id}/submit")
    assert "Pending approval" in client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    login("approver@tempe.example")
    assert f"TO-{order_id:06d}" in client.get("/c/gpsr/orders").get_data(as_text=True)
    client.post(f"/c/gpsr/orders/{order_id}/approve", data={"reason": "In the FY27 budget"})
    login("vendor@parksense.example")
    inbox = client.get("/c/gpsr/orders").get_data(as_text=True)
    assert 'data-testid="inbox"' in inbox and f"TO-{order_id:06d}" in inbox
    client.post(f"/c/gpsr/orders/{order_id}/accept")
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    assert "Active" in page and "In the FY27 budget" in page
    pdf = client.get(f"/c/gpsr/orders/{order_id}/po.pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert f"TO-{order_id:06d}" in text and "TMP-88" in text and "102,600.00" in text and "Tempe" in text


def test_approver_cannot_approve_their_own_order(app, client, api_token):
    vehicle = _vehicle(app)
    approver = api_token("approver@tempe.example")
    order = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "200")},
                        headers=approver).get_json()
    client.post(f"/api/v1/orders/{order['id']}/submit", headers=approver)
    response = client.post(f"/api/v1/orders/{order['id']}/approve", headers=approver)
    assert response.status_code == 403 and "created yourself" in response.get_json()["error"]["message"]


def test_ceiling_overrun_is_refused_with_the_amount_and_nothing_changes(app, client, api_token):
    vehicle = _vehicle(app, ceiling="6000.00")
    buyer = api_token("buyer@tempe.example")
    order = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "12")},
                        headers=buyer).get_json()  # 12 × 513.00 = 6,156.00
    response = client.post(f"/api/v1/orders/{order['id']}/submit", headers=buyer)
    assert response.status_code == 409
    message = response.get_json()["error"]["message"]
    assert "($6,156.00) would exceed the ceiling of vehicle GPSR-T-001 by $156.00" in message
    assert _committed(vehicle.id) == Decimal("0.00")
    assert fetch(select(Order.status).where(Order.id == order["id"])) == "draft"


def test_participation_limit_is_enforced(app, client, api_token):
    vehicle = _vehicle(app, participants=(("Tempe", "5000.00"),))
    buyer = api_token("buyer@tempe.example")
    order = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "10")},
                        headers=buyer).get_json()  # 5,130.00
    response = client.post(f"/api/v1/orders/{order['id']}/submit", headers=buyer)
    assert response.status_code == 409 and "not-to-exceed" in response.get_json()["error"]["message"]
    assert "by $130.00: $5,000.00 remains of $5,000.00" in response.get_json()["error"]["message"]


def test_cancel_and_decline_release_the_commitment(app, client, api_token):
    vehicle = _vehicle(app, participants=(("Tempe", "400000.00"),))
    buyer, vendor = api_token("buyer@tempe.example"), api_token("vendor@parksense.example")
    first = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "10")},
                        headers=buyer).get_json()
    second = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "20")},
                         headers=buyer).get_json()
    client.post(f"/api/v1/orders/{first['id']}/submit", headers=buyer)
    client.post(f"/api/v1/orders/{second['id']}/submit", headers=buyer)
    assert _committed(vehicle.id) == Decimal("15390.00")
    client.post(f"/api/v1/orders/{first['id']}/cancel", json={"reason": "Duplicate"}, headers=buyer)
    assert _committed(vehicle.id) == Decimal("10260.00")
    assert client.post(f"/api/v1/orders/{second['id']}/decline", json={}, headers=vendor).status_code == 400
    client.post(f"/api/v1/orders/{second['id']}/decline", json={"reason": "Out of stock"}, headers=vendor)
    assert _committed(vehicle.id) == Decimal("0.00")
    participation = fetch(select(Participation).where(Participation.vehicle_id == vehicle.id))
    assert participation.committed == Decimal("0.00")


@pytest.mark.parametrize(("line", "field", "message"), [
    ({"quantity": "-1"}, "quantity", "more than zero"),
    ({"quantity": "1.005"}, "quantity", "at most 2 decimals"),
    ({"quantity": "abc"}, "quantity", "as a number"),
    ({"quantity": "1", "unit_price": "999.00"}, "unit_price", "above the contract price"),
    ({"quantity": "1", "unit_price": "1.001"}, "unit_price", "fractions of a cent"),
    ({"quantity": "1", "unit_price": "-4"}, "unit_price", "more than zero"),
    ({"quantity": "1", "price_item_id": 999999}, "price_item_id", "not on the price schedule"),
])
def test_bad_lines_are_refused_and_nothing_is_saved(app, client, api_token, line, field, message):
    vehicle = _vehicle(app)
    buyer = api_token("buyer@tempe.example")
    before = fetch(select(func.count(Order.id)))
    body = {"vehicle_id": vehicle.id, "lines": [{"price_item_id": vehicle.schedule[0].price_item_id, **line}]}
    response = client.post("/api/v1/orders", json=body, headers=buyer)
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert message in fields[f"lines.0.{field}"]
    assert fetch(select(func.count(Order.id))) == before


def test_who_cannot_order(app, client, api_token):
    vehicle = _vehicle(app)  # Mesa leads, Tempe participates
    body = {"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "1")}
    scottsdale = client.post("/api/v1/orders", json=body, headers=api_token("buyer@scottsdale.example"))
    assert scottsdale.status_code == 403 and "has not joined" in scottsdale.get_json()["error"]["message"]
    assert client.post("/api/v1/orders", json=body, headers=api_token("vendor@parksense.example")).status_code == 403
    assert client.post("/api/v1/orders", json=body, headers=api_token("buyer@boulder.example")).status_code == 404
    assert client.post("/api/v1/orders", json=body, headers=api_token("buyer@mesa.example")).status_code == 201


def test_expired_and_draft_vehicles_take_no_orders(app, client, api_token, monkeypatch):
    from datetime import date, timedelta

    from contracts.vehicles import models as vehicles

    vehicle = _vehicle(app)
    draft = _vehicle(app, number="GPSR-T-DRAFT", status="draft")
    buyer = api_token("buyer@tempe.example")
    assert client.post("/api/v1/orders", json={"vehicle_id": draft.id, "lines": lines_for(draft, "1")},
                       headers=buyer).status_code == 404
    monkeypatch.setattr(vehicles, "today", lambda: date.today() + timedelta(days=1000))
    response = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "1")},
                           headers=buyer)
    assert response.status_code == 409 and "expired" in response.get_json()["error"]["message"]


def test_idempotency_key_returns_the_first_result(app, client, api_token):
    vehicle = _vehicle(app)
    headers = {**api_token("buyer@tempe.example"), "Idempotency-Key": "create-42"}
    body = {"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "10")}
    first = client.post("/api/v1/orders", json=body, headers=headers)
    again = client.post("/api/v1/orders", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert fetch(select(func.count(Order.id)).where(Order.vehicle_id == vehicle.id)) == 1
    submit_headers = {**headers, "Idempotency-Key": "submit-42"}
    order_id = first.get_json()["id"]
    one = client.post(f"/api/v1/orders/{order_id}/submit", headers=submit_headers)
    two = client.post(f"/api/v1/orders/{order_id}/submit", headers=submit_headers)
    assert one.status_code == two.status_code == 200 and two.headers.get("Idempotent-Replayed") == "true"
    assert _committed(vehicle.id) == Decimal("5130.00")
    assert client.post(f"/api/v1/orders/{order_id}/submit", headers=api_token("buyer@tempe.example")).status_code == 409


def test_transitions_are_audited(app, client, api_token):
    vehicle = _vehicle(app)
    buyer = api_token("buyer@tempe.example")
    order = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "1")},
                        headers=buyer).get_json()
    client.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "Changed plans"}, headers=buyer)
    event = fetch(select(AuditEvent).where(AuditEvent.object_type == "order", AuditEvent.object_id == order["id"],
                                           AuditEvent.action == "order.cancelled"))
    assert event.reason == "Changed plans" and event.before == {"status": "draft"}


def test_order_pages_issue_bounded_queries(app, client, login, count_queries):
    vehicle = _vehicle(app)

    def count():
        with count_queries() as q:
            assert client.get("/c/gpsr/orders").status_code == 200
        return q.count

    login("buyer@tempe.example")
    with app.test_request_context():
        for _ in range(2):
            make_order(vehicle)
    small = count()
    with app.test_request_context():
        for _ in range(20):
            make_order(vehicle)
    assert count() <= small


def test_the_citys_approval_limit_is_not_shown_to_the_vendor(app, client, login):
    """A city's delegated approval limit is internal: its own staff and the office see it on the order."""
    with app.test_request_context():
        order_id = make_order(_vehicle(app), buyer="buyer@mesa.example", status="active").id
    for email, shown in (("buyer@mesa.example", True), ("approver@mesa.example", True),
                         ("admin@gpsr.example", True), ("vendor@parksense.example", False)):
        login(email)
        page = client.get(f"/c/gpsr/orders/{order_id}")
        assert page.status_code == 200, email
        text = page.get_data(as_text=True)
        assert ('data-testid="approval-limit"' in text) is shown, email
        assert ("$250,000.00" in text) is shown, email
