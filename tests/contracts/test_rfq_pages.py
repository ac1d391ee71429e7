"""RFQs through the pages, without JavaScript: issue from the vehicle page, quote, close, award into a draft
order, cancel; refused input comes back at its field with what was typed."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from contracts.orders.models import Order
from contracts.sourcing.rfqs.models import Rfq
from marketplace.extensions import db
from marketplace.formats import day
from tests.conftest import fetch
from tests.contracts.rfq_helpers import BUYER, FLOW, PARK, after_closing, items, vehicle

CLOSES = date.today() + timedelta(days=30)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _rfq_form(**overrides) -> dict:
    data = {"title": "Mill Avenue curb sensors", "description": "Two blocks of Mill Avenue.",
            "closes_at": f"{CLOSES.isoformat()}T17:00", "evaluation": "lowest_price",
            "lines-0-name": "Sensor service", "lines-0-unit": "per space per month", "lines-0-quantity": "1200",
            "lines-1-name": "Installation", "lines-1-unit": "per space", "lines-1-quantity": "100"}
    data.update(overrides)
    return data


def _quote_form(app, vehicle_id: int, vendor: str, sensor: str, install: str) -> dict:
    sensor_id, install_id = items(app, vehicle_id, vendor)
    return {"lines-0-price_item_id": str(sensor_id), "lines-0-unit_price": sensor,
            "lines-1-price_item_id": str(install_id), "lines-1-unit_price": install, "note": ""}


def test_issue_quote_close_and_award_through_the_pages(app, client, login, monkeypatch):
    vehicle_id = vehicle(app, (PARK, FLOW))
    login(BUYER)
    page = client.get(f"/c/gpsr/vehicles/{vehicle_id}").get_data(as_text=True)
    assert 'data-testid="vehicle-rfqs"' in page and 'data-testid="new-rfq"' in page
    form = client.get(f"/c/gpsr/vehicles/{vehicle_id}/rfqs/new").get_data(as_text=True)
    assert 'type="datetime-local"' in form and '<datalist id="schedule-names">' in form

    refused = client.post(f"/c/gpsr/vehicles/{vehicle_id}/rfqs/new", data=_rfq_form(**{"lines-1-quantity": "lots"}))
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'id="lines-1-quantity-error"' in html and "Enter the quantity as a number" in html
    assert 'value="lots"' in html and 'value="Mill Avenue curb sensors"' in html  # the input is kept

    issued = client.post(f"/c/gpsr/vehicles/{vehicle_id}/rfqs/new", data=_rfq_form())
    assert issued.status_code == 302
    with app.app_context():
        rfq = db.session.scalar(select(Rfq).where(Rfq.title == "Mill Avenue curb sensors"))
        assert [(line.name, str(line.quantity)) for line in rfq.lines] == [("Sensor service", "1200"),
                                                                           ("Installation", "100")]
    page = client.get(f"/c/gpsr/rfqs/{rfq.id}").get_data(as_text=True)
    assert "0 quotes received, sealed" in page and f"{day(CLOSES)}, 5:00 PM MST" in page

    login(PARK)
    page = client.get(f"/c/gpsr/rfqs/{rfq.id}").get_data(as_text=True)
    assert 'data-testid="quote"' in page
    quote_page = client.get(f"/c/gpsr/rfqs/{rfq.id}/quote").get_data(as_text=True)
    sensor_id, _ = items(app, vehicle_id, PARK)
    assert re.search(rf'<option selected value="{sensor_id}">|<option value="{sensor_id}" selected', quote_page)
    too_high = client.post(f"/c/gpsr/rfqs/{rfq.id}/quote", data=_quote_form(app, vehicle_id, PARK, "4.50", "60.00"))
    assert too_high.status_code == 400
    html = too_high.get_data(as_text=True)
    assert 'id="lines-0-unit_price-error"' in html and "above your contract price of $4.20" in html
    assert 'value="4.50"' in html
    assert client.post(f"/c/gpsr/rfqs/{rfq.id}/quote",
                       data=_quote_form(app, vehicle_id, PARK, "4.00", "60.00")).status_code == 302
    login(FLOW)
    assert client.post(f"/c/gpsr/rfqs/{rfq.id}/quote",
                       data=_quote_form(app, vehicle_id, FLOW, "4.60", "50.00")).status_code == 302

    login(BUYER)
    early = client.post(f"/c/gpsr/rfqs/{rfq.id}/close")
    assert early.status_code == 409 and "sealed until" in early.get_data(as_text=True)
    after_closing(monkeypatch, days=40)
    assert client.post(f"/c/gpsr/rfqs/{rfq.id}/close").status_code == 302
    award = client.get(f"/c/gpsr/rfqs/{rfq.id}/award").get_data(as_text=True)
    assert 'data-testid="comparison"' in award and 'type="radio"' in award
    with app.app_context():
        park_quote = next(q for q in db.session.get(Rfq, rfq.id).quotes if q.vendor.name == "ParkSense")
    # ParkSense: 1200 × 4.00 + 100 × 60.00 = 10,800.00; FlowMobility: 5,520.00 + 5,000.00 = 10,520.00 (lowest)
    unjustified = client.post(f"/c/gpsr/rfqs/{rfq.id}/award", data={"quote_id": str(park_quote.id)})
    assert unjustified.status_code == 400
    html = unjustified.get_data(as_text=True)
    assert 'id="justification-error"' in html and "not the lowest total ($10,520.00)" in html
    assert f'value="{park_quote.id}" checked' in html  # the choice is kept
    done = client.post(f"/c/gpsr/rfqs/{rfq.id}/award", data={
        "quote_id": str(park_quote.id), "justification": "ParkSense's sensors already run the garage next door."})
    assert done.status_code == 302 and "/orders/" in done.location
    with app.app_context():
        order = db.session.get(Order, db.session.get(Rfq, rfq.id).order_id)
        assert order.status == "draft" and order.vendor.name == "ParkSense" and str(order.value) == "10800.00"
    page = _text(client.get(done.location).get_data(as_text=True))
    assert "ParkSense" in page and "Awarded from RFQ-" in page


def test_cancel_asks_first_and_needs_a_reason(app, client, login):
    vehicle_id = vehicle(app, (PARK, FLOW))
    login(BUYER)
    client.post(f"/c/gpsr/vehicles/{vehicle_id}/rfqs/new", data=_rfq_form(title="To be cancelled"))
    rfq_id = fetch(select(Rfq.id).where(Rfq.title == "To be cancelled"))
    ask = client.get(f"/c/gpsr/rfqs/{rfq_id}/cancel")
    assert ask.status_code == 200 and "ParkSense and FlowMobility are told" in ask.get_data(as_text=True)
    refused = client.post(f"/c/gpsr/rfqs/{rfq_id}/cancel", data={"reason": ""})
    assert refused.status_code == 400
    assert client.post(f"/c/gpsr/rfqs/{rfq_id}/cancel", data={"reason": "Funding moved."}).status_code == 302
    assert fetch(select(Rfq.status).where(Rfq.id == rfq_id)) == "cancelled"
    assert client.get(f"/c/gpsr/rfqs/{rfq_id}/cancel").status_code == 409


def test_rfq_pages_issue_a_bounded_number_of_queries(app, client, login, api_token, count_queries, monkeypatch):
    from tests.contracts.rfq_helpers import BRIGHT, quote_body, rfq_body

    vehicle_id = vehicle(app)

    def issue(quoted):
        rfq = client.post(f"/api/v1/vehicles/{vehicle_id}/rfqs", json=rfq_body(), headers=api_token(BUYER)).get_json()
        for vendor in quoted:
            client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=quote_body(app, vehicle_id, vendor),
                        headers=api_token(vendor))
        return rfq["id"]

    def counts(rfq_id):
        found = {}
        for email in (BUYER, PARK):
            login(email)
            for page, url in (("list", "/c/gpsr/rfqs"), ("rfq", f"/c/gpsr/rfqs/{rfq_id}"),
                              ("vehicle", f"/c/gpsr/vehicles/{vehicle_id}")):
                with count_queries() as q:
                    assert client.get(url).status_code == 200
                found[(email, page)] = q.count
        return found

    few = counts(issue((PARK,)))
    many = counts([issue((PARK, FLOW, BRIGHT)) for _ in range(4)][-1])
    assert all(many[key] <= few[key] for key in few), (few, many)
