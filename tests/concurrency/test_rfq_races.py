"""Races on an RFQ (DESIGN section 9: "double award"): two awards of one closed RFQ fired together (Tempe's
buyer and approver, each choosing a different quote), and an award racing a cancel. Exactly one wins; the other
gets 409 saying what happened; an awarded RFQ has exactly one draft order, a cancelled one none.

Each round: a fresh RFQ under a vehicle awarding ParkSense and FlowMobility, issued by Tempe's buyer, quoted by
both vendors, then closed (sourcing's clock moved past its closing time); the two requests go in shuffled order.

And the proof that the race can be lost: with the kernel's row lock switched off, some round ends with both
awards made and two orders for one RFQ."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from contracts.orders.models import Order
from contracts.sourcing import models as sourcing_models
from marketplace.extensions import db
from marketplace.transitions import UNLOCKED_SETTING
from tests.catalog.factories import listing_data
from tests.concurrency.racing import Call, answer_problems, describe, race, winners
from tests.concurrency.world import ADMIN, APPROVER, BUYER, VENDOR, bearer

pytestmark = pytest.mark.postgres_only

ROUNDS = 20
FLOW = "vendor@flowmobility.example"
ITEMS = [{"name": "Sensor service", "unit": "per space per month", "list_price": "5.00"},
         {"name": "Installation", "unit": "per space", "list_price": "70.00"}]
_titles = itertools.count(1)


def _listing(market, vendor: str, headers: dict) -> dict:
    response = market.client.post("/api/v1/listings", headers=headers, json=listing_data(
        title=f"Race sensors {next(_titles)}", category="parking", price_items=ITEMS))
    assert response.status_code == 201, response.get_json()
    listing = response.get_json()
    market.client.post(f"/api/v1/listings/{listing['id']}/submit", headers=headers)
    return market.post(f"/api/v1/listings/{listing['id']}/approve", ADMIN, {"reason": "Complete."})


def _award(listing: dict, prices: tuple[str, str]) -> dict:
    return {"vendor_id": listing["vendor"]["id"], "listing_ids": [listing["id"]],
            "price_schedule": [{"price_item_id": item["id"], "contract_price": price}
                               for item, price in zip(listing["price_items"], prices, strict=True)]}


def _vehicle(market, flow: dict) -> dict:
    park = _listing(market, VENDOR, market.headers(VENDOR))
    other = _listing(market, FLOW, flow)
    mesa = next(o["id"] for o in market.get("/api/v1/organizations")["results"] if o["name"] == "Mesa")
    today = datetime.now(UTC).date()
    vehicle = market.post("/api/v1/vehicles", ADMIN, {
        "number": f"RFQ-RACE-{next(_titles):04d}", "title": "Race multi-award", "lead_agency_id": mesa,
        "awards": [_award(park, ("4.20", "66.00")), _award(other, ("4.60", "58.00"))],
        "start_date": (today - timedelta(days=30)).isoformat(), "end_date": (today + timedelta(days=700)).isoformat(),
        "ceiling": "90000000.00"}, 201)
    vehicle = market.post(f"/api/v1/vehicles/{vehicle['id']}/activate", ADMIN)
    market.participation(vehicle, status="executed")
    return vehicle


def _closed_rfq(market, vehicle: dict, flow: dict, monkeypatch) -> dict:
    monkeypatch.setattr(sourcing_models, "now", lambda: datetime.now(UTC))
    closes = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds")
    rfq = market.post(f"/api/v1/vehicles/{vehicle['id']}/rfqs", BUYER, {
        "title": "Race RFQ", "closes_at": closes, "evaluation": "lowest_price",
        "lines": [{"name": "Sensor service", "unit": "per space per month", "quantity": "120"},
                  {"name": "Installation", "unit": "per space", "quantity": "10"}]}, 201)
    for award, headers, prices in zip(vehicle["awards"], (market.headers(VENDOR), flow),
                                      (("4.10", "60.00"), ("4.50", "55.00")), strict=True):
        body = {"lines": [{"price_item_id": line["price_item_id"], "unit_price": price}
                          for line, price in zip(award["price_schedule"], prices, strict=True)]}
        response = market.client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
    later = datetime.now(UTC) + timedelta(hours=2)
    monkeypatch.setattr(sourcing_models, "now", lambda: later)
    return market.post(f"/api/v1/rfqs/{rfq['id']}/close", BUYER)


def _orders_from(app, rfq: dict) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Order).where(
            Order.notes.like(f"Awarded from RFQ-{rfq['id']:05d}:%")).execution_options(all_tenants=True))
        db.session.remove()
    return count


def _round(app, market, vehicle, flow, monkeypatch, rival: str) -> list[str]:
    rfq = _closed_rfq(market, vehicle, flow, monkeypatch)
    quotes = [q["id"] for q in rfq["quotes"]]
    path = f"/api/v1/rfqs/{rfq['id']}"
    calls = [Call("award", f"{path}/award", market.headers(BUYER),
                  {"quote_id": quotes[0], "justification": "Two quotes only; the lowest."})]
    if rival == "award":
        calls.append(Call("award", f"{path}/award", market.headers(APPROVER),
                          {"quote_id": quotes[1], "justification": "Two quotes only; local installer."}))
    else:
        calls.append(Call("cancel", f"{path}/cancel", market.headers(APPROVER), {"reason": "Budget withdrawn."}))
    random.shuffle(calls)
    outcomes = race(app, calls)
    problems = []
    won = winners(outcomes)
    if len(won) != 1:
        problems.append(f"{len(won)} requests won, not exactly one")
    problems += answer_problems(outcomes, ("awarded", "cancelled"))
    after = market.get(path)
    orders = _orders_from(app, rfq)
    if won and after["status"] != won[0].body["status"]:
        problems.append(f"the RFQ is {after['status']}, the winner left it {won[0].body['status']}")
    expected = 1 if after["status"] == "awarded" else 0
    if orders != expected:
        problems.append(f"{orders} orders for an RFQ that is {after['status']} (expected {expected})")
    if after["status"] == "awarded" and after["order_id"] is None:
        problems.append("awarded without its order")
    return [f"{p} [{describe(outcomes)}]" for p in problems]


@pytest.mark.parametrize("rival", ["award", "cancel"])
def test_exactly_one_of_two_awards_or_an_award_and_a_cancel_wins(app, market, monkeypatch, rival):
    flow = bearer(app, FLOW)
    vehicle = _vehicle(market, flow)
    bad = [(n, problems) for n in range(1, ROUNDS + 1)
           if (problems := _round(app, market, vehicle, flow, monkeypatch, rival))]
    assert not bad, f"{len(bad)} of {ROUNDS} rounds went wrong:\n" + "\n".join(
        f"round {n}: {'; '.join(p)}" for n, p in bad[:5])


def test_without_the_lock_one_rfq_is_awarded_twice(app, market, monkeypatch):
    flow = bearer(app, FLOW)
    vehicle = _vehicle(market, flow)
    app.config[UNLOCKED_SETTING] = True  # the `committed` fixture switches it off again
    for _ in range(ROUNDS):
        if _round(app, market, vehicle, flow, monkeypatch, "award"):
            return
    pytest.fail(f"{ROUNDS} rounds without the lock and never two awards: the requests do not really overlap")
