"""Build vehicles and participation through the real services, inside the test's transaction
(call them within an application or request context)."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from consortium.models import Consortium
from contracts.vehicles import models as vehicle_models
from contracts.vehicles import services as vehicles
from contracts.vehicles.models import Participation, Vehicle
from contracts.vehicles.signing.demo import execute_signed
from marketplace.extensions import db
from tests.catalog.factories import make_listing
from tests.conftest import consortium, org, user

_numbers = itertools.count(1)


@contextmanager
def clock(day: date):
    """Move `contracts.vehicles.models.today()` to `day` for the block (for code outside a test's
    monkeypatch)."""
    original = vehicle_models.today
    vehicle_models.today = lambda: day
    try:
        yield
    finally:
        vehicle_models.today = original


def next_number() -> str:
    return f"TEST-{next(_numbers):04d}"


def vehicle_data(listings, *, lead: str = "Chandler", vendor: str = "BrightStreet Lighting", discount="0.9",
                 **overrides) -> dict:
    """API-shaped input covering `listings`, every active item at `discount` × its list price."""
    schedule = [{"price_item_id": item.id, "contract_price": str((item.list_price * Decimal(discount)).quantize(
        Decimal("0.01")))} for listing in listings for item in listing.active_price_items]
    data = {
        "number": next_number(),
        "title": "Adaptive LED street lighting",
        "lead_agency_id": org(lead).id,
        "vendor_id": org(vendor).id,
        "listing_ids": [listing.id for listing in listings],
        "price_schedule": schedule,
        "start_date": "2026-01-01",
        "end_date": "2028-12-31",
        "renewal_options": {"count": 2, "months": 12},
        "ceiling": "500000.00",
        "admin_fee_pct": "1.5",
        "notes": "Awarded under a test RFP.",
    }
    data.update(overrides)
    return data


def make_vehicle(status: str = "active", *, slug: str = "gpsr", vendor_email: str = "vendor@brightstreet.example",
                 lead: str = "Chandler", listings=None, **overrides) -> Vehicle:
    """A vehicle in `status`: draft, active, expired (ended 2025-06-30) or terminated."""
    if listings is None:
        listings = [make_listing("published", vendor_email=vendor_email, slug=slug, title="Street lighting kit")]
    vendor = listings[0].vendor.name
    admin = db.session.merge(user(f"admin@{slug}.example"))
    if status == "expired":
        overrides = {"start_date": "2024-01-01", "end_date": "2025-06-30", **overrides}
    data = vehicle_data(listings, lead=lead, vendor=vendor, **overrides)
    vehicle = vehicles.create_vehicle(consortium=db.session.merge(consortium(slug)), data=data, actor=admin)
    if status == "draft":
        return vehicle
    if status == "expired":
        with clock(date(2024, 6, 1)):
            return vehicles.activate_vehicle(vehicle, actor=admin)
    vehicles.activate_vehicle(vehicle, actor=admin)
    if status == "terminated":
        vehicles.terminate_vehicle(vehicle, actor=admin, reason="Vendor acquired; contract novated.")
    return vehicle


def make_participation(vehicle: Vehicle, status: str = "requested", approver: str = "approver@mesa.example",
                       **data) -> Participation:
    """A request to join by `approver`'s city, optionally executed or declined by the office."""
    actor = db.session.merge(user(approver))
    participation = vehicles.request_participation(vehicle, data, actor=actor)
    slug = db.session.get(Consortium, vehicle.consortium_id).slug
    admin = db.session.merge(user(f"admin@{slug}.example"))
    if status == "executed":
        execute_signed(participation, approver=actor, admin=admin)
    elif status == "declined":
        vehicles.decline_participation(participation, actor=admin, reason="The ceiling is nearly used up.")
    return participation


# Bodies of the member's signature and the office's countersignature (pages and API take the same fields).
SIGN = {"title": "City Manager", "authority": "Council resolution 2026-14, delegated authority up to $250,000"}
COUNTERSIGN = {"title": "Executive Director", "authority": "Board delegation of 12 Jan 2026"}
