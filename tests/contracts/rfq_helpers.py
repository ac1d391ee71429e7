"""A multi-award vehicle with Tempe participating, an RFQ under it, and each vendor's quote body (API shapes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts.sourcing import models as sourcing_models
from marketplace.extensions import db
from tests.contracts.award_factories import INSTALL, SENSOR, make_multi_award_vehicle, schedule_item_id

PARK, FLOW, BRIGHT = "vendor@parksense.example", "vendor@flowmobility.example", "vendor@brightstreet.example"
BUYER = "buyer@tempe.example"
# 300 spaces for a year of sensor service, and their installation.
LINES = [{"name": SENSOR, "unit": "per space per month", "quantity": "3600"},
         {"name": INSTALL, "unit": "per space", "quantity": "300"}]
# Each vendor's unit prices (contract prices: ParkSense 4.20 / 66.00, FlowMobility 4.60 / 58.00, BrightStreet
# 4.90 / 69.00): totals 34,560.00, 33,060.00 (the lowest) and 34,200.00.
QUOTED = {PARK: ("4.10", "66.00"), FLOW: ("4.60", "55.00"), BRIGHT: ("4.50", "60.00")}
TOTALS = {PARK: "34560.00", FLOW: "33060.00", BRIGHT: "34200.00"}


def vehicle(app, vendors=(PARK, FLOW, BRIGHT)) -> int:
    with app.test_request_context():
        vehicle_id = make_multi_award_vehicle(vendors).id
        db.session.commit()
    return vehicle_id


def items(app, vehicle_id: int, vendor: str) -> tuple[int, int]:
    with app.app_context():
        return schedule_item_id(vehicle_id, vendor, SENSOR), schedule_item_id(vehicle_id, vendor, INSTALL)


def rfq_body(**overrides) -> dict:
    closes = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return {"title": "Old Town curb sensors", "lines": LINES, "closes_at": closes, "evaluation": "lowest_price",
            **overrides}


def quote_body(app, vehicle_id: int, vendor: str, prices=None, note: str = "") -> dict:
    sensor, install = items(app, vehicle_id, vendor)
    sensor_price, install_price = prices or QUOTED[vendor]
    return {"lines": [{"price_item_id": sensor, "unit_price": sensor_price},
                      {"price_item_id": install, "quantity": "300", "unit_price": install_price}], "note": note}


def after_closing(monkeypatch, days: int = 8) -> None:
    """Move sourcing's clock past an RFQ's closing time (seven days ahead)."""
    later = datetime.now(UTC) + timedelta(days=days)
    monkeypatch.setattr(sourcing_models, "now", lambda: later)
