"""Concurrent submissions can never together overrun a vehicle ceiling.

This test commits for real (many connections at once), so it builds and removes its own data
instead of running inside the usual rolled-back transaction. On PostgreSQL the rows are locked with
SELECT … FOR UPDATE; on SQLite each submission takes the write lock up front (BEGIN IMMEDIATE).
"""

import threading
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import delete, select

from catalog.listings.models import Listing
from consortium.models import Consortium, Organization, User
from contracts.orders import services as services
from contracts.orders.models import Order
from contracts.vehicles.models import Award, ScheduleItem, Vehicle, award_listing
from marketplace.audit import AuditEvent
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.locking import begin_serialized_write

CLIENTS = 12
FITS = 5


def _setup(app) -> tuple[int, list[int], Decimal]:
    with app.app_context():
        gpsr = db.session.scalar(select(Consortium).where(Consortium.slug == "gpsr"))
        listing = db.session.scalar(select(Listing).where(Listing.title == "In-ground parking occupancy sensors"))
        mesa = db.session.scalar(select(Organization).where(Organization.name == "Mesa"))
        buyer = db.session.scalar(select(User).where(User.email == "buyer@mesa.example"))
        item = listing.active_price_items[0]
        price = item.list_price
        value = price * 100  # each order: 100 units at the list price
        vehicle = Vehicle(consortium_id=gpsr.id, number="CONCURRENCY-1", title="Concurrency test",
                          lead_agency_id=mesa.id,
                          start_date=date.today() - timedelta(days=1), end_date=date.today() + timedelta(days=30),
                          ceiling=value * FITS + price,  # room for FITS orders, not one more
                          status="active")
        award = Award(vendor_id=listing.vendor_id, listings=[listing])
        vehicle.awards.append(award)
        award.schedule.append(ScheduleItem(vehicle=vehicle, price_item=item, contract_price=price))
        db.session.add(vehicle)
        db.session.flush()
        order_ids = []
        for _ in range(CLIENTS):
            order = services.create_order(vehicle=vehicle, actor=buyer, data={
                "lines": [{"price_item_id": item.id, "quantity": "100"}]})
            order_ids.append(order.id)
        db.session.commit()
        return vehicle.id, order_ids, value


def _cleanup(app, vehicle_id: int, order_ids: list[int]) -> None:
    with app.app_context():
        db.session.execute(delete(AuditEvent).where(AuditEvent.object_type == "order",
                                                    AuditEvent.object_id.in_(order_ids)))
        for order in db.session.scalars(select(Order).where(Order.id.in_(order_ids))):
            db.session.delete(order)
        db.session.flush()
        db.session.execute(delete(ScheduleItem).where(ScheduleItem.vehicle_id == vehicle_id))
        awards = select(Award.id).where(Award.vehicle_id == vehicle_id).scalar_subquery()
        db.session.execute(delete(award_listing).where(award_listing.c.award_id.in_(awards)))
        db.session.execute(delete(Award).where(Award.vehicle_id == vehicle_id))
        db.session.execute(delete(Vehicle).where(Vehicle.id == vehicle_id))
        db.session.commit()


def test_concurrent_submissions_never_overrun_the_ceiling(app):
    vehicle_id, order_ids, value = _setup(app)
    start = threading.Barrier(CLIENTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(order_id: int) -> None:
        with app.test_request_context():
            start.wait()
            try:
                begin_serialized_write()
                order = db.session.scalar(select(Order).where(Order.id == order_id))
                buyer = db.session.scalar(select(User).where(User.email == "buyer@mesa.example"))
                services.submit_order(order, actor=buyer)
                db.session.commit()
                result = "ok"
            except Conflict:
                db.session.rollback()
                result = "refused"
            except Exception as exc:  # anything else is a failure of the locking
                db.session.rollback()
                result = f"error: {exc!r}"
            with lock:
                outcomes.append(result)

    try:
        threads = [threading.Thread(target=submit, args=(i,)) for i in order_ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert set(outcomes) <= {"ok", "refused"}, outcomes
        assert outcomes.count("ok") == FITS and outcomes.count("refused") == CLIENTS - FITS
        with app.app_context():
            vehicle = db.session.scalar(select(Vehicle).where(Vehicle.id == vehicle_id))
            submitted = db.session.scalars(select(Order).where(Order.id.in_(order_ids), Order.status != "draft")).all()
            assert vehicle.committed == value * FITS <= vehicle.ceiling
            assert sum(o.committed for o in submitted) == vehicle.committed
    finally:
        _cleanup(app, vehicle_id, order_ids)
