"""Synthetic volume for `bench/load.py`: listings, a vehicle with orders in every state, and observations.

On top of the demo data (Greater Phoenix, `gpsr`):

- N published listings, through `bench.search.insert_listings` (1-3 price items each, ~10% proven);
- one active vehicle, `GPSR-BENCH-LOAD`, led by Mesa, BrightStreet's lighting listings at 10% off, with
  Tempe, Chandler and Scottsdale joined (executed participations), made through the real services;
- M orders under it, bulk-inserted (Core `insert()` with executemany), spread over the four member cities
  and over every order state. About 40% carry the demo's pay-for-performance terms (monthly
  availability, 12 periods, started 7 months ago); those that are active or completed have 1-6 months of
  observations (mostly verified, some reported, a few disputed), so their pages show a settlement.
  Each order's value follows the app's own rules (`clean_order_data`, `line_total`, `not_to_exceed`),
  and the vehicle's and participations' committed totals are the sums of their committed orders.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, insert, select, text, update

from bench.search import insert_listings
from catalog.listings.models import Listing
from consortium.models import Consortium, Organization, User
from contracts.demo import STREET_LIGHTING_TERMS
from contracts.observations.models import Observation
from contracts.orders.models import COMMITTED_STATUSES, Order, OrderLine
from contracts.orders.services import order_value
from contracts.orders.validation import clean_order_data, line_total
from contracts.performance import not_to_exceed
from contracts.vehicles import services as vehicles
from contracts.vehicles.models import Participation, Vehicle
from contracts.vehicles.signing.demo import execute_signed
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.numbers import to_cents

VEHICLE_NUMBER = "GPSR-BENCH-LOAD"
LEAD = "Mesa"
MEMBERS = ("Mesa", "Tempe", "Chandler", "Scottsdale")
VENDOR = "BrightStreet Lighting"
LISTINGS = ("Adaptive LED street lighting", "Solar-powered pathway lights")
BATCH = 2000
# (status, share of the orders)
STATUS_MIX = (("draft", 0.08), ("pending_approval", 0.07), ("approved", 0.15), ("active", 0.50),
              ("completed", 0.12), ("declined", 0.03), ("cancelled", 0.05))
PERFORMANCE_SHARE = 0.4


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _org(name: str) -> Organization:
    return db.session.scalar(select(Organization).where(Organization.name == name))


def make_vehicle() -> Vehicle:
    """The load vehicle, through the services: drafted, activated, and joined by the other three cities."""
    gpsr = db.session.scalar(select(Consortium).where(Consortium.slug == "gpsr"))
    admin = _user("admin@gpsr.example")
    listings = db.session.scalars(select(Listing).where(Listing.consortium_id == gpsr.id,
                                                        Listing.title.in_(LISTINGS))).all()
    schedule = [{"price_item_id": item.id, "contract_price": str(to_cents(item.list_price * Decimal("0.9")))}
                for listing in listings for item in listing.active_price_items]
    today = date.today()
    data = {
        "number": VEHICLE_NUMBER, "title": "Street lighting (load benchmark)", "lead_agency_id": _org(LEAD).id,
        "vendor_id": _org(VENDOR).id, "listing_ids": [x.id for x in listings], "price_schedule": schedule,
        "start_date": (today - timedelta(days=365)).isoformat(), "end_date": (today + timedelta(days=730)).isoformat(),
        "renewal_options": {"count": 1, "months": 12}, "ceiling": "1000000.00", "admin_fee_pct": "1.5",
        "notes": "Synthetic vehicle of bench/load.py.",
    }
    vehicle = vehicles.create_vehicle(consortium=gpsr, data=data, actor=admin)
    vehicles.activate_vehicle(vehicle, actor=admin)
    for member in MEMBERS:
        if member == LEAD:
            continue
        key = member.lower()
        approver = _user(f"approver@{key}.example")
        participation = vehicles.request_participation(vehicle, {}, actor=approver)
        execute_signed(participation, approver=approver, admin=admin)
    db.session.commit()
    return vehicle


def _terms_template(vehicle: Vehicle, started: date) -> dict:
    data = {"performance": {**STREET_LIGHTING_TERMS, "start_date": started.isoformat()},
            "delivery_start": started.isoformat()}
    clean = clean_order_data(data, vehicle)
    return {"performance": clean["terms"].to_dict(), "ntx": not_to_exceed(clean["terms"]),
            "delivery_start": started}


def _lines(rng: random.Random, schedule: list, performance: bool) -> list[dict]:
    """0-2 lines next to performance terms, 1-3 otherwise, of 1-400 units at the contract price."""
    count = rng.randint(0, 2) if performance else rng.randint(1, 3)
    picked = rng.sample(schedule, min(count, len(schedule)))
    lines = []
    for position, item in enumerate(picked):
        quantity = Decimal(rng.randint(1, 400))
        lines.append({"schedule_item_id": item.id, "price_item_id": item.price_item_id,
                      "description": item.price_item.name, "unit": item.price_item.unit, "quantity": quantity,
                      "unit_price": item.contract_price, "total": line_total(quantity, item.contract_price),
                      "position": position})
    return lines


def _status(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for status, share in STATUS_MIX:
        total += share
        if roll < total:
            return status
    return STATUS_MIX[-1][0]


def _people() -> dict[int, tuple[int, int]]:
    """member id -> (buyer id, approver id)."""
    people = {}
    for member in MEMBERS:
        key = member.lower()
        people[_org(member).id] = (_user(f"buyer@{key}.example").id, _user(f"approver@{key}.example").id)
    return people


def _order_row(rng, number, vehicle, member_id, people, template, lines, now) -> dict:
    status = _status(rng)
    buyer_id, approver_id = people[member_id]
    performance = template is not None
    if performance and status == "draft":
        status = "active"  # a draft with terms shows no settlement; keep the drafts plain
    lines_total = sum((line["total"] for line in lines), Decimal("0.00"))
    value = to_cents(lines_total + (template["ntx"] if performance else 0))
    submitted = status != "draft"
    approved = status in ("approved", "active", "completed")
    accepted = status in ("active", "completed")
    return {
        "consortium_id": vehicle.consortium_id, "vehicle_id": vehicle.id, "member_id": member_id,
        "vendor_id": vehicle.awards[0].vendor_id, "created_by_id": buyer_id, "status": status,
        "po_number": f"LOAD-{number:06d}", "notes": "", "performance": template["performance"] if performance else None,
        "delivery_start": template["delivery_start"] if performance else None, "delivery_end": None,
        "value": value, "committed": value if status in COMMITTED_STATUSES else Decimal("0"),
        "status_reason": "Not in this year's budget." if status in ("declined", "cancelled") else None,
        "created_at": now, "updated_at": now, "submitted_at": now if submitted else None,
        "approved_at": now if approved else None, "approved_by_id": approver_id if approved else None,
        "accepted_at": now if accepted else None, "closed_at": now if status == "completed" else None,
        "closed_by_id": buyer_id if status == "completed" else None, "last_period": None,
    }


def _observations(rng, order_id, row, vendor_user_id, now) -> list[dict]:
    if row["performance"] is None or row["status"] not in ("active", "completed"):
        return []
    buyer_id = row["created_by_id"]
    rows = []
    for period in range(1, rng.randint(1, 6) + 1):
        roll = rng.random()
        status = "verified" if roll < 0.85 else "reported" if roll < 0.97 else "disputed"
        decided = status != "reported"
        rows.append({
            "consortium_id": row["consortium_id"], "order_id": order_id, "period": period, "kpi": "availability",
            "value": Decimal(rng.randint(9400, 9995)) / 100, "note": f"Availability export, month {period}",
            "status": status, "reported_by_id": vendor_user_id, "decided_by_id": buyer_id if decided else None,
            "decided_at": now if decided else None,
            "reason": "The export misses two controllers." if status == "disputed" else None,
            "created_at": now, "updated_at": now,
        })
    return rows


def insert_orders(vehicle: Vehicle, count: int, seed: int) -> dict[str, int]:
    """Bulk-insert `count` orders (lines, observations) under `vehicle`; returns counts by status."""
    rng = random.Random(seed)
    vehicle = db.session.get(Vehicle, vehicle.id)
    schedule = list(vehicle.schedule)
    started = date.today().replace(day=1) - relativedelta(months=7)
    template = _terms_template(vehicle, started)
    people = _people()
    members = list(people)
    vendor_user_id = _user("vendor@brightstreet.example").id
    now = utcnow()
    by_status: dict[str, int] = defaultdict(int)
    for start in range(0, count, BATCH):
        batch = []
        for number in range(start, min(start + BATCH, count)):
            performance = rng.random() < PERFORMANCE_SHARE
            lines = _lines(rng, schedule, performance)
            row = _order_row(rng, number, vehicle, rng.choice(members), people, template if performance else None,
                             lines, now)
            batch.append((row, lines))
            by_status[row["status"]] += 1
        ids = db.session.scalars(insert(Order).returning(Order.id, sort_by_parameter_order=True),
                                 [row for row, _ in batch]).all()
        line_rows = [{"order_id": order_id, **line} for order_id, (_, lines) in zip(ids, batch, strict=True)
                     for line in lines]
        if line_rows:
            db.session.execute(insert(OrderLine), line_rows)
        observations = [obs for order_id, (row, _) in zip(ids, batch, strict=True)
                        for obs in _observations(rng, order_id, row, vendor_user_id, now)]
        if observations:
            db.session.execute(insert(Observation), observations)
    _settle_commitments(vehicle.id)
    db.session.commit()
    return dict(by_status)


def _settle_commitments(vehicle_id: int) -> None:
    """The vehicle's and each participation's committed total = the sum of their committed orders; the
    ceiling leaves 25% room, so the pages show a vehicle with money left."""
    committed = dict(db.session.execute(
        select(Order.member_id, func.sum(Order.committed)).where(Order.vehicle_id == vehicle_id)
        .group_by(Order.member_id)).all())  # Money sums come back as Decimal amounts
    total = sum(committed.values(), Decimal("0.00"))
    for member_id, amount in committed.items():
        db.session.execute(update(Participation).where(Participation.vehicle_id == vehicle_id,
                                                       Participation.member_id == member_id)
                           .values(committed=amount))
    ceiling = to_cents(total * Decimal("1.25")) + Decimal("1000000.00")
    db.session.execute(update(Vehicle).where(Vehicle.id == vehicle_id).values(committed=total, ceiling=ceiling))


def check_order_values(vehicle_id: int, sample: int = 20) -> None:
    """A few generated orders, re-valued by the app's own `order_value`: the bulk rows must agree."""
    orders = db.session.scalars(select(Order).where(Order.vehicle_id == vehicle_id).order_by(Order.id)
                                .limit(sample)).all()
    wrong = [o.id for o in orders if order_value(o) != o.value]
    if wrong:
        raise SystemExit(f"generated orders whose value disagrees with order_value(): {wrong}")


def generate(listings: int, orders: int, seed: int) -> dict:
    """Everything above, in the current app context, after the demo data; returns what was made."""
    insert_listings(listings, seed)
    vehicle = make_vehicle()
    by_status = insert_orders(vehicle, orders, seed + 1)
    check_order_values(vehicle.id)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))  # what autovacuum would have done by now
        db.session.commit()
    observations = db.session.scalar(select(func.count()).select_from(Observation))
    return {"vehicle_id": vehicle.id, "orders_by_status": by_status, "observations": observations}
