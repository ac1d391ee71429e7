"""A multi-award vehicle built through the real services (call inside an application or request context)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from contracts.vehicles import services as vehicles
from contracts.vehicles.models import Vehicle
from marketplace.extensions import db
from tests.catalog.factories import make_listing
from tests.conftest import consortium, org, user
from tests.contracts.factories import make_participation, next_number

SENSOR, INSTALL = "Sensor service", "Installation"
ITEMS = [{"name": SENSOR, "unit": "per space per month", "list_price": "5.00"},
         {"name": INSTALL, "unit": "per space", "list_price": "70.00"}]
# Each vendor's contract prices (sensor service, installation): ParkSense is cheapest on the service,
# FlowMobility on installation.
PRICES = {
    "vendor@parksense.example": ("4.20", "66.00"),
    "vendor@flowmobility.example": ("4.60", "58.00"),
    "vendor@brightstreet.example": ("4.90", "69.00"),
}
VENDORS = tuple(PRICES)


def vendor_listing(vendor_email: str, title: str | None = None):
    return make_listing("published", vendor_email=vendor_email, title=title or f"Curb sensors ({vendor_email})",
                        category="parking", price_items=ITEMS)


def award_data(vendor_email: str, listing) -> dict:
    sensor, install = PRICES[vendor_email]
    items = {item.name: item.id for item in listing.active_price_items}
    return {"vendor_id": listing.vendor_id, "listing_ids": [listing.id],
            "price_schedule": [{"price_item_id": items[SENSOR], "contract_price": sensor},
                               {"price_item_id": items[INSTALL], "contract_price": install}]}


def multi_award_data(vendor_emails=VENDORS, *, lead: str = "Mesa", **overrides) -> dict:
    awards = [award_data(email, vendor_listing(email)) for email in vendor_emails]
    data = {"number": next_number(), "title": "Curbside parking sensors (multi-award)", "lead_agency_id": org(lead).id,
            "awards": awards, "start_date": "2026-01-01", "end_date": "2030-12-31", "ceiling": "900000.00",
            "admin_fee_pct": "1.5"}
    data.update(overrides)
    return data


def make_multi_award_vehicle(vendor_emails=VENDORS, *, lead: str = "Mesa", participants=("approver@tempe.example",),
                             status: str = "active") -> Vehicle:
    """An active vehicle led by `lead` awarding each vendor its own parking-sensor listing and schedule, with
    the participants' addenda executed."""
    admin = db.session.merge(user("admin@gpsr.example"))
    vehicle = vehicles.create_vehicle(consortium=db.session.merge(consortium("gpsr")),
                                      data=multi_award_data(vendor_emails, lead=lead), actor=admin)
    if status == "draft":
        return vehicle
    vehicles.activate_vehicle(vehicle, actor=admin)
    for approver in participants:
        make_participation(vehicle, "executed", approver=approver)
    return vehicle


def contract_price(vehicle_id: int, vendor_email: str, name: str) -> Decimal:
    vehicle = db.session.get(Vehicle, vehicle_id)
    award = vehicle.award_of(user(vendor_email).organization_id)
    return next(line.contract_price for line in award.schedule if line.price_item.name == name)


def schedule_item_id(vehicle_id: int, vendor_email: str, name: str) -> int:
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.id == vehicle_id))
    award = vehicle.award_of(user(vendor_email).organization_id)
    return next(line.price_item_id for line in award.schedule if line.price_item.name == name)
