"""Vehicles, participation and orders for order tests, built directly (committed in the test's
transaction) so the order tests depend only on the vehicle model, not on the vehicle screens."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalog.listings.models import Listing
from contracts.orders import services as services
from contracts.vehicles.models import Award, Participation, ScheduleItem, Vehicle
from marketplace.db import utcnow
from marketplace.extensions import db
from tests.catalog.factories import make_listing
from tests.conftest import consortium, org, user


def make_vehicle(*, ceiling="500000.00", number="GPSR-T-001", status="active", lead="Mesa",
                 vendor_email="vendor@parksense.example", participants=(("Tempe", None),),
                 end_date=None) -> Vehicle:
    """An active vehicle over one published listing, with its schedule at 10% under list price."""
    listing = make_listing("published", vendor_email=vendor_email, title=f"Listing for {number}")
    listing = db.session.scalar(select(Listing).where(Listing.id == listing.id))
    gpsr = consortium("gpsr")
    vehicle = Vehicle(
        consortium_id=gpsr.id, number=number, title=f"Vehicle {number}", lead_agency_id=org(lead).id,
        start_date=date.today() - timedelta(days=30),
        end_date=end_date or date.today() + timedelta(days=700), ceiling=Decimal(ceiling),
        admin_fee_pct=Decimal("1.5"), status=status, activated_at=utcnow() if status == "active" else None,
    )
    award = Award(vendor_id=listing.vendor_id, listings=[listing])
    vehicle.awards.append(award)
    for item in listing.active_price_items:
        award.schedule.append(ScheduleItem(vehicle=vehicle, price_item=item, contract_price=(
            item.list_price * Decimal("0.9")).quantize(Decimal("0.01"))))
    db.session.add(vehicle)
    db.session.flush()
    admin = user("admin@gpsr.example")
    for member, limit in participants:
        db.session.add(Participation(
            consortium_id=gpsr.id, vehicle_id=vehicle.id, member_id=org(member).id, status="executed",
            member_not_to_exceed=Decimal(limit) if limit else None,
            requested_by_id=user(f"approver@{member.lower()}.example").id,
            decided_by_id=admin.id, decided_at=utcnow(),
        ))
    db.session.commit()
    return load_vehicle(vehicle.id)


def load_vehicle(vehicle_id: int) -> Vehicle:
    """The vehicle with its schedule loaded (usable after the request context ends)."""
    return db.session.scalar(select(Vehicle).where(Vehicle.id == vehicle_id)
                             .options(selectinload(Vehicle.awards).selectinload(Award.schedule)
                                      .selectinload(ScheduleItem.price_item)))


def lines_for(vehicle: Vehicle, quantity: str = "10") -> list[dict]:
    return [{"price_item_id": s.price_item_id, "quantity": quantity} for s in vehicle.schedule]


def make_order(vehicle: Vehicle, *, buyer="buyer@tempe.example", quantity="10", status="draft", performance=None):
    """An order in the given state, through the real services, committed."""
    actor = user(buyer)
    vehicle = load_vehicle(vehicle.id)
    data = {"lines": lines_for(vehicle, quantity), "po_number": "PO-1"}
    if performance is not None:
        data["performance"] = performance
    order = services.create_order(vehicle=vehicle, data=data, actor=actor)
    if status != "draft":
        services.submit_order(order, actor=actor)
        if status == "active" or (status == "approved" and order.status == "pending_approval"):
            if order.status == "pending_approval":
                member_key = buyer.split("@")[1]
                services.approve_order(order, actor=user(f"approver@{member_key}"))
            if status == "active":
                services.accept_order(order, actor=user(f"vendor@{_vendor_key(order)}.example"))
    db.session.commit()
    return order


def _vendor_key(order) -> str:
    return {"ParkSense": "parksense", "BrightStreet Lighting": "brightstreet", "FlowMobility": "flowmobility"}[
        order.vendor.name]
