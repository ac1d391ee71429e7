"""RFQs through the API: a multi-award vehicle → an RFQ → three quotes → the close → the award → a draft order at
the quoted prices; and what is refused on the way (quotes above the contract price, late quotes, an early
close, an award without the justification it needs, a second award)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from contracts.orders.models import Order
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.conftest import fetch, org, user
from tests.contracts.rfq_helpers import (
    BRIGHT,
    BUYER,
    FLOW,
    PARK,
    TOTALS,
    after_closing,
    items,
    quote_body,
    rfq_body,
    vehicle,
)


def _rfq(client, api_token, vehicle_id: int, **overrides) -> dict:
    response = client.post(f"/api/v1/vehicles/{vehicle_id}/rfqs", json=rfq_body(**overrides),
                           headers=api_token(BUYER))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _quote(app, client, api_token, vehicle_id: int, rfq_id: int, vendor: str, prices=None, expect: int = 201):
    response = client.post(f"/api/v1/rfqs/{rfq_id}/quotes", json=quote_body(app, vehicle_id, vendor, prices),
                           headers=api_token(vendor))
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_journey_multi_award_vehicle_rfq_three_quotes_award_draft_order(app, client, api_token, monkeypatch):
    vehicle_id = vehicle(app)
    buyer = api_token(BUYER)
    rfq = _rfq(client, api_token, vehicle_id)
    assert rfq["status"] == "open" and rfq["quote_count"] == 0 and rfq["quotes"] is None
    assert [v["name"] for v in rfq["vendors"]] == ["ParkSense", "FlowMobility", "BrightStreet Lighting"]
    # every awarded vendor is told
    told = fetch(select(db.func.count()).select_from(Notification).where(
        Notification.kind == "rfq", Notification.object_id == rfq["id"]))
    assert told == 3  # one user per demo vendor

    for vendor in (PARK, FLOW, BRIGHT):
        mine = _quote(app, client, api_token, vehicle_id, rfq["id"], vendor)
        assert mine["my_quote"]["total"] == TOTALS[vendor] and mine["quotes"] is None and mine["quote_count"] is None
    # ParkSense replaces its quote until the close: only the new version counts
    replaced = _quote(app, client, api_token, vehicle_id, rfq["id"], PARK, ("4.00", "66.00"), expect=200)
    assert replaced["my_quote"]["version"] == 2 and replaced["my_quote"]["total"] == "34200.00"

    sealed = client.get(f"/api/v1/rfqs/{rfq['id']}", headers=buyer).get_json()
    assert sealed["quote_count"] == 3 and sealed["quotes"] is None and sealed["my_quote"] is None

    early = client.post(f"/api/v1/rfqs/{rfq['id']}/close", headers=buyer)
    assert early.status_code == 409 and "sealed until" in early.get_json()["error"]["message"]

    after_closing(monkeypatch)
    late = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=quote_body(app, vehicle_id, BRIGHT, ("4.00", "50.00")),
                       headers=api_token(BRIGHT))
    assert late.status_code == 409 and "late" in late.get_json()["error"]["message"]

    closed = client.post(f"/api/v1/rfqs/{rfq['id']}/close", headers=buyer).get_json()
    assert closed["status"] == "closed"
    assert [(q["vendor"]["name"], q["total"], q["is_lowest"]) for q in closed["quotes"]] == [
        ("FlowMobility", "33060.00", True), ("ParkSense", "34200.00", False),
        ("BrightStreet Lighting", "34200.00", False)]
    flow_quote = closed["quotes"][0]["id"]
    park_quote = closed["quotes"][1]["id"]

    unjustified = client.post(f"/api/v1/rfqs/{rfq['id']}/award", json={"quote_id": park_quote}, headers=buyer)
    assert unjustified.status_code == 400
    assert "not the lowest total ($33,060.00)" in unjustified.get_json()["error"]["fields"]["justification"]

    awarded = client.post(f"/api/v1/rfqs/{rfq['id']}/award", json={"quote_id": flow_quote}, headers=buyer)
    assert awarded.status_code == 200, awarded.get_json()
    body = awarded.get_json()
    assert body["status"] == "awarded" and body["awarded_quote_id"] == flow_quote and body["order_id"]
    order = client.get(f"/api/v1/orders/{body['order_id']}", headers=buyer).get_json()
    assert order["status"] == "draft" and order["vendor"]["name"] == "FlowMobility"
    assert order["member"]["name"] == "Tempe" and order["value"] == "33060.00"
    flow_sensor, flow_install = items(app, vehicle_id, FLOW)
    assert [(ln["price_item_id"], ln["quantity"], ln["unit_price"]) for ln in order["lines"]] == [
        (flow_sensor, "3600", "4.60"), (flow_install, "300", "55.00")]
    assert fetch(select(Order.vendor_id).where(Order.id == body["order_id"])) == org("FlowMobility").id

    again = client.post(f"/api/v1/rfqs/{rfq['id']}/award", json={"quote_id": park_quote, "justification": "x"},
                        headers=buyer)
    assert again.status_code == 409 and "was awarded" in again.get_json()["error"]["message"]
    # the winner and the others are told, without anyone's prices
    notes = fetch(select(db.func.count()).select_from(Notification).where(
        Notification.object_type == "rfq", Notification.object_id == rfq["id"],
        Notification.subject.contains("awarded")))
    assert notes == 3


def test_quotes_above_the_contract_price_or_off_the_vendors_schedule_are_refused(app, client, api_token):
    vehicle_id = vehicle(app)
    rfq = _rfq(client, api_token, vehicle_id)
    above = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes",
                        json=quote_body(app, vehicle_id, PARK, ("4.21", "66.01")), headers=api_token(PARK))
    assert above.status_code == 400
    fields = above.get_json()["error"]["fields"]
    assert fields["lines.0.unit_price"] == ("$4.21 is above your contract price of $4.20 for “Sensor service” "
                                            "(by $0.01).")
    assert "above your contract price of $66.00" in fields["lines.1.unit_price"]
    others = quote_body(app, vehicle_id, FLOW)  # FlowMobility's items, sent by ParkSense
    foreign = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=others, headers=api_token(PARK))
    assert foreign.status_code == 400 and "price_item_id" in next(iter(foreign.get_json()["error"]["fields"]))
    body = quote_body(app, vehicle_id, PARK)
    short = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json={"lines": body["lines"][:1]},
                        headers=api_token(PARK))
    assert short.status_code == 400 and "Quote every line" in short.get_json()["error"]["fields"]["lines"]
    twice = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json={"lines": [body["lines"][0], body["lines"][0]]},
                        headers=api_token(PARK))
    assert twice.status_code == 400 and "use each price item once" in twice.get_json()["error"]["fields"][
        "lines.1.price_item_id"]
    wrong_quantity = {"lines": [{**body["lines"][0], "quantity": "10"}, body["lines"][1]]}
    response = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=wrong_quantity, headers=api_token(PARK))
    assert response.status_code == 400 and "quote that quantity" in response.get_json()["error"]["fields"][
        "lines.0.quantity"]
    assert client.get(f"/api/v1/rfqs/{rfq['id']}", headers=api_token(BUYER)).get_json()["quote_count"] == 0
    # a member cannot quote; a vendor not awarded on the vehicle does not even see the RFQ
    member = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=body, headers=api_token(BUYER))
    assert member.status_code == 403


def test_an_rfq_is_refused_with_field_messages_and_only_under_a_multi_award_vehicle(app, client, api_token):
    vehicle_id = vehicle(app)
    buyer = api_token(BUYER)
    bad = client.post(f"/api/v1/vehicles/{vehicle_id}/rfqs", json=rfq_body(
        closes_at="2020-01-01T10:00", lines=[{"name": "Sensor service", "unit": "month", "quantity": "0"}]),
        headers=buyer)
    assert bad.status_code == 400
    fields = bad.get_json()["error"]["fields"]
    assert fields["closes_at"] == "Quotes must close in the future."
    assert fields["lines.0.quantity"] == "The quantity must be more than zero."
    after_end = client.post(f"/api/v1/vehicles/{vehicle_id}/rfqs", json=rfq_body(closes_at="2031-06-01"),
                            headers=buyer)
    assert after_end.status_code == 400
    with app.test_request_context():
        from tests.contracts.factories import make_vehicle
        single_id = make_vehicle("active", lead="Tempe").id
        db.session.commit()
    single = client.post(f"/api/v1/vehicles/{single_id}/rfqs", json=rfq_body(), headers=buyer)
    assert single.status_code == 409 and "awards a single vendor" in single.get_json()["error"]["message"]
    outsider = client.post(f"/api/v1/vehicles/{vehicle_id}/rfqs", json=rfq_body(),
                           headers=api_token("buyer@scottsdale.example"))  # Scottsdale has not joined it
    assert outsider.status_code == 403


def test_fewer_than_three_quotes_need_a_justification_even_for_the_lowest(app, client, api_token, monkeypatch):
    vehicle_id = vehicle(app)
    rfq = _rfq(client, api_token, vehicle_id, evaluation="best_value")
    _quote(app, client, api_token, vehicle_id, rfq["id"], PARK)
    _quote(app, client, api_token, vehicle_id, rfq["id"], FLOW)
    after_closing(monkeypatch)
    buyer = api_token(BUYER)
    quotes = client.post(f"/api/v1/rfqs/{rfq['id']}/close", headers=buyer).get_json()["quotes"]
    lowest = quotes[0]["id"]
    refused = client.post(f"/api/v1/rfqs/{rfq['id']}/award", json={"quote_id": lowest}, headers=buyer)
    assert refused.status_code == 400
    assert "Only 2 quotes arrived" in refused.get_json()["error"]["fields"]["justification"]
    awarded = client.post(f"/api/v1/rfqs/{rfq['id']}/award", headers=buyer, json={
        "quote_id": lowest, "justification": "BrightStreet declined to quote; FlowMobility's installation is local."})
    assert awarded.status_code == 200 and awarded.get_json()["justification"].startswith("BrightStreet declined")


def test_cancel_needs_a_reason_and_keeps_unopened_quotes_sealed(app, client, api_token):
    vehicle_id = vehicle(app)
    rfq = _rfq(client, api_token, vehicle_id)
    _quote(app, client, api_token, vehicle_id, rfq["id"], PARK)
    buyer = api_token(BUYER)
    assert client.post(f"/api/v1/rfqs/{rfq['id']}/cancel", json={}, headers=buyer).status_code == 400
    cancelled = client.post(f"/api/v1/rfqs/{rfq['id']}/cancel", json={"reason": "Budget moved to FY2028."},
                            headers=buyer).get_json()
    assert cancelled["status"] == "cancelled" and cancelled["quotes"] is None and cancelled["quote_count"] == 1
    late = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=quote_body(app, vehicle_id, FLOW),
                       headers=api_token(FLOW))
    assert late.status_code == 409 and "cancelled" in late.get_json()["error"]["message"]


def test_an_award_that_no_longer_fits_the_schedule_is_refused_and_nothing_is_ordered(app, client, api_token,
                                                                                       monkeypatch):
    """The office lowers a contract price below a quoted price after the close: the award would order above
    the contract price, so it is refused (409) and no order is made."""
    vehicle_id = vehicle(app)
    rfq = _rfq(client, api_token, vehicle_id)
    for vendor in (PARK, FLOW, BRIGHT):
        _quote(app, client, api_token, vehicle_id, rfq["id"], vendor)
    after_closing(monkeypatch)
    buyer = api_token(BUYER)
    quotes = client.post(f"/api/v1/rfqs/{rfq['id']}/close", headers=buyer).get_json()["quotes"]
    flow_sensor, _ = items(app, vehicle_id, FLOW)
    amended = client.post(f"/api/v1/vehicles/{vehicle_id}/price-schedule", headers=api_token("admin@gpsr.example"),
                          json={"items": [{"price_item_id": flow_sensor, "contract_price": "4.50"}]})
    assert amended.status_code == 200
    before = fetch(select(db.func.count()).select_from(Order))
    refused = client.post(f"/api/v1/rfqs/{rfq['id']}/award", json={"quote_id": quotes[0]["id"]}, headers=buyer)
    assert refused.status_code == 409 and "can no longer be ordered" in refused.get_json()["error"]["message"]
    assert fetch(select(db.func.count()).select_from(Order)) == before
    assert client.get(f"/api/v1/rfqs/{rfq['id']}", headers=buyer).get_json()["status"] == "closed"
    assert Decimal(quotes[0]["total"]) == Decimal(TOTALS[FLOW]) and user(BUYER) is not None


def test_the_demo_has_a_multi_award_vehicle_an_awarded_rfq_and_an_open_one(app, client, api_token):
    """DESIGN section 8: the multi-award parking vehicle (ParkSense, CurbIQ and FlowMobility), Tempe's RFQ with
    three quotes awarded into a draft order at the quoted prices, and Mesa's open RFQ."""
    from contracts.sourcing.rfqs.models import Rfq

    with app.app_context():
        rfqs = {r.title: (r.id, r.status) for r in db.session.scalars(select(Rfq))}
    awarded_id, status = rfqs["Fiesta district curb sensors"]
    assert status == "awarded" and rfqs["Downtown loading-zone sensors"][1] == "open"
    tempe = api_token(BUYER)
    rfq = client.get(f"/api/v1/rfqs/{awarded_id}", headers=tempe).get_json()
    assert [v["name"] for v in rfq["vendors"]] == ["ParkSense", "CurbIQ", "FlowMobility"]
    assert rfq["quote_count"] == 3 and rfq["awarded_vendor"]["name"] == "CurbIQ"
    lowest = min(rfq["quotes"], key=lambda q: Decimal(q["total"]))
    assert lowest["id"] == rfq["awarded_quote_id"] and rfq["justification"] is None
    order = client.get(f"/api/v1/orders/{rfq['order_id']}", headers=tempe).get_json()
    assert order["status"] == "draft" and order["vendor"]["name"] == "CurbIQ" and order["value"] == lowest["total"]
    assert [ln["unit_price"] for ln in order["lines"]] == [ln["unit_price"] for ln in lowest["lines"]]
    open_rfq = client.get(f"/api/v1/rfqs/{rfqs['Downtown loading-zone sensors'][0]}",
                          headers=api_token("buyer@mesa.example")).get_json()
    assert open_rfq["quote_count"] == 2 and open_rfq["quotes"] is None
