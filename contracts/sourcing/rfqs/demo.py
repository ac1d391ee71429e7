"""Demo multi-award vehicle and RFQs (DESIGN section 8), made through the real services after the other demo data:

- GPSR-2026-004, curbside parking sensing led by Mesa with Tempe participating, awarding ParkSense (its in-ground
  sensors), CurbIQ (its curb sensor network) and FlowMobility (its curb occupancy cameras), each at its own
  contract prices under one ceiling;
- Tempe's RFQ for the Fiesta district, quoted by all three, closed and awarded to the lowest total (CurbIQ) —
  the award is Tempe's draft order at CurbIQ's quoted prices;
- Mesa's open RFQ for downtown loading zones, quoted (sealed) by ParkSense and CurbIQ, FlowMobility still to quote.

Idempotent: the listings are looked up by title, the vehicle by number, each RFQ by its member and title. The
awarded RFQ ran its week before the demo was loaded: its quotes were made with sourcing's clock set back ten days
(`_clock_at`), so it closed three days ago and is opened and awarded now.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from catalog.listings import services as catalog
from catalog.listings.models import Listing
from consortium.models import Consortium, Organization, User
from contracts.sourcing import models as sourcing_models
from contracts.sourcing.rfqs import services
from contracts.sourcing.rfqs.models import Rfq
from contracts.vehicles import services as vehicles
from contracts.vehicles.models import Vehicle
from contracts.vehicles.signing.demo import execute_signed
from marketplace.extensions import db

NUMBER = "GPSR-2026-004"
# (vendor e-mail, listing title, category, summary, description, [(item, unit, list price, contract price)])
AWARDS = [
    ("vendor@parksense.example", "In-ground parking occupancy sensors", None, None, None,
     [("Sensor service", None, None, "4.20"), ("Installation", None, None, "60.00")]),
    ("vendor@curbiq.example", "Curb sensor network", "parking",
     "Surface-mounted curb sensors for loading zones and metered blocks, with a curb inventory.",
     "Sensors glued to the curb face report occupancy and dwell time; the curb inventory follows the Curb Data "
     "Specification.", [("Curb sensor service", "per space per month", "4.80", "4.35"),
                        ("Sensor installation", "per space", "70.00", "52.00")]),
    ("vendor@flowmobility.example", "Curb occupancy cameras", "mobility",
     "Pole-mounted cameras that count curb occupancy and loading activity, without storing faces or plates.",
     "Edge-processed video: only counts and dwell times leave the camera. One camera covers up to eight spaces.",
     [("Camera monitoring", "per space per month", "5.20", "4.70"), ("Camera installation", "per space", "48.00",
                                                                     "45.00")]),
]
LINES = [{"name": "Sensor service", "unit": "per space per month", "quantity": "2400"},
         {"name": "Installation", "unit": "per space", "quantity": "200"}]
# Each vendor's quote: (unit price of its service, unit price of its installation); totals 20,080.00 (ParkSense),
# 19,840.00 (CurbIQ, the lowest) and 20,160.00 (FlowMobility).
AWARDED = ("buyer@tempe.example", "Fiesta district curb sensors", {
    "vendor@parksense.example": ("4.20", "50.00"), "vendor@curbiq.example": ("4.10", "50.00"),
    "vendor@flowmobility.example": ("4.65", "45.00")})
OPEN = ("buyer@mesa.example", "Downtown loading-zone sensors", {
    "vendor@parksense.example": ("4.15", "58.00"), "vendor@curbiq.example": ("4.30", "51.00")})


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


@contextmanager
def _clock_at(moment: datetime):
    """Sourcing's clock at `moment` for the block (the demo replays a week that has passed)."""
    original = sourcing_models.now
    sourcing_models.now = lambda: moment
    try:
        yield
    finally:
        sourcing_models.now = original


def _listing(consortium: Consortium, spec: tuple) -> Listing | None:
    email, title, category, summary, description, items = spec
    found = db.session.scalar(select(Listing).where(Listing.consortium_id == consortium.id, Listing.title == title)
                              .execution_options(all_tenants=True))
    vendor, admin = _user(email), _user(f"admin@{consortium.slug}.example")
    if found is not None or category is None or vendor is None:
        return found
    data = {"title": title, "summary": summary, "description": description, "category": category,
            "tags": ["curb", "parking"], "pricing_models": ["as_a_service"],
            "standards": ["CDS (Curb Data Specification)"],
            "price_items": [{"name": name, "unit": unit, "list_price": price} for name, unit, price, _ in items]}
    listing = catalog.create_listing(consortium=consortium, vendor=vendor.organization, data=data, actor=vendor)
    catalog.submit_listing(listing, actor=vendor)
    return catalog.approve_listing(listing, actor=admin, reason="Meets the consortium's listing criteria.")


def _vehicle(consortium: Consortium) -> Vehicle | None:
    found = db.session.scalar(select(Vehicle).where(Vehicle.consortium_id == consortium.id, Vehicle.number == NUMBER)
                              .execution_options(all_tenants=True))
    if found is not None:
        return found
    awards = []
    for spec in AWARDS:
        listing = _listing(consortium, spec)
        if listing is None:
            return None
        prices = {name: contract for name, _, _, contract in spec[5]}
        awards.append({"vendor_id": listing.vendor_id, "listing_ids": [listing.id], "price_schedule": [
            {"price_item_id": item.id, "contract_price": prices[item.name]}
            for item in listing.active_price_items if item.name in prices]})
    mesa = db.session.scalar(select(Organization).where(Organization.consortium_id == consortium.id,
                                                        Organization.name == "Mesa"))
    admin = _user(f"admin@{consortium.slug}.example")
    vehicle = vehicles.create_vehicle(consortium=consortium, actor=admin, data={
        "number": NUMBER, "title": "Curbside parking sensing (multi-award)", "lead_agency_id": mesa.id,
        "awards": awards, "start_date": "2026-07-01", "end_date": "2028-12-31",
        "renewal_options": {"count": 1, "months": 24}, "ceiling": "1500000.00", "admin_fee_pct": "1.5",
        "notes": "Awarded by the City of Mesa under RFP 2026-044 (curbside sensing) to three vendors: members run a "
                 "mini-competition among them for each deployment."})
    vehicles.activate_vehicle(vehicle, actor=admin)
    tempe = _user("approver@tempe.example")
    participation = vehicles.request_participation(vehicle, {"member_not_to_exceed": "500000.00"}, actor=tempe)
    execute_signed(participation, approver=tempe, admin=admin)
    return vehicle


def _quote(rfq: Rfq, vendor: User, prices: tuple[str, str]) -> None:
    award = rfq.vehicle.award_of(vendor.organization_id)
    lines = [{"price_item_id": line.price_item_id, "unit_price": price}
             for line, price in zip(sorted(award.schedule, key=lambda s: s.price_item.position), prices, strict=True)]
    services.submit_quote(rfq, {"lines": lines}, actor=vendor)


def _rfq(vehicle: Vehicle, spec: tuple, *, closes_at: datetime) -> Rfq | None:
    email, title, quotes = spec
    buyer = _user(email)
    if db.session.scalar(select(Rfq.id).where(Rfq.member_id == buyer.organization_id, Rfq.title == title)
                         .execution_options(all_tenants=True)):
        return None
    rfq = services.issue_rfq(vehicle, {"title": title, "lines": LINES, "closes_at": closes_at.isoformat(),
                                       "evaluation": "lowest_price"}, actor=buyer)
    for vendor_email, prices in quotes.items():
        _quote(rfq, _user(vendor_email), prices)
    return rfq


def load_rfqs() -> None:
    """The multi-award vehicle, Tempe's awarded RFQ and Mesa's open one (each skipped when it exists)."""
    consortium = db.session.scalar(select(Consortium).where(Consortium.slug == "gpsr"))
    if consortium is None or _user("vendor@curbiq.example") is None:
        return
    vehicle = _vehicle(consortium)
    if vehicle is None or not vehicle.is_in_force():
        return
    now = datetime.now(UTC).replace(microsecond=0)
    with _clock_at(now - timedelta(days=10)):
        awarded = _rfq(vehicle, AWARDED, closes_at=now - timedelta(days=3))
    if awarded is not None:
        buyer = _user(AWARDED[0])
        services.close_rfq(awarded, actor=buyer)
        lowest = min(awarded.quotes, key=lambda q: q.total)
        services.award_rfq(awarded, {"quote_id": lowest.id}, actor=buyer)
    _rfq(vehicle, OPEN, closes_at=now + timedelta(days=10))
    db.session.flush()
