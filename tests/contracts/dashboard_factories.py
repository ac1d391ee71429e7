"""Generated data for the dashboard tests: three vehicles of three vendors and categories, orders of three members
in every state, invoices in every state across the quarters of 2026, performance orders whose holdbacks are
released, forfeited and pending, a shared-savings order, and sales reports with fee payments; all made through
the real services (call inside an application or request context), then committed.

And the ledgers' sums, computed independently of the dashboard's code: straight from every order, invoice,
settlement (`settlement_for`, as the order page gets it) and fee payment, in plain Python.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from contracts.invoices import services as invoices
from contracts.invoices.models import Invoice
from contracts.observations import services as observations
from contracts.orders import services as orders
from contracts.orders.models import Order
from contracts.reporting.models import FeePayment, SalesReport
from contracts.vehicles.models import Vehicle
from marketplace.extensions import db
from tests.conftest import consortium, org, user
from tests.contracts.invoice_helpers import STREET_LIGHTS
from tests.contracts.order_factories import make_order, make_vehicle

D0 = Decimal("0.00")
PHOENIX = ZoneInfo("America/Phoenix")
VENDOR_EMAIL = {"ParkSense": "vendor@parksense.example", "BrightStreet Lighting": "vendor@brightstreet.example",
                "FlowMobility": "vendor@flowmobility.example"}
SHARED_SAVINGS = {
    "period": "year", "periods": 2, "start_date": "2024-01-01", "fixed_fee": "0.00", "at_risk_fee": "0.00",
    "shared_savings": {"kpi": "energy_use", "baseline_use": "4000000", "unit_price": "0.11",
                       "adjustments": [{"amount": "100000", "reason": "New streets added"}],
                       "vendor_share_pct": "70", "vendor_cap": "180000.00", "guaranteed_savings": "200000.00"},
}


def _vehicle(number, vendor_email, category, lead, participants) -> Vehicle:
    vehicle = make_vehicle(number=number, vendor_email=vendor_email, lead=lead, ceiling="90000000.00",
                           participants=participants)
    listing = vehicle.awards[0].listings[0]
    listing.category = category
    db.session.commit()
    return vehicle


def _buyer(member: str) -> str:
    return f"buyer@{member.lower()}.example"


def _invoice(order, rng, number: str, status: str, issued_on: date) -> Invoice:
    line = rng.choice(order.lines)
    amount = (line.total * Decimal(rng.choice(("0.1", "0.25", "0.33")))).quantize(Decimal("0.01"))
    vendor = user(VENDOR_EMAIL[order.vendor.name])
    invoice = invoices.submit_invoice(order, {"number": number, "issued_on": issued_on.isoformat(),
                                              "amount": str(amount), "lines": [line.id]}, actor=vendor)
    buyer = user(_buyer(order.member.name))
    if status == "rejected":
        invoices.reject_invoice(invoice, actor=buyer, reason="Wrong purchase order number.")
    elif status in ("approved", "paid"):
        invoices.approve_invoice(invoice, actor=buyer)
        if status == "paid":
            invoices.pay_invoice(invoice, actor=buyer, paid_on=(issued_on + timedelta(days=10)).isoformat())
    return invoice


def _observe(order, period: int, kpi: str, value: str) -> None:
    vendor = user(VENDOR_EMAIL[order.vendor.name])
    obs = observations.report_observation(order, {"period": period, "kpi": kpi, "value": value, "note": "Meter"},
                                          actor=vendor)
    observations.verify_observation(obs, actor=user(_buyer(order.member.name)))


def build(seed: int = 14, *, orders_per_pair: int = 2, prefix: str = "DASH") -> dict:
    """Generate the data; returns the ids of what the exact checks need."""
    rng = random.Random(seed)
    park = _vehicle(f"{prefix}-1", "vendor@parksense.example", "parking", "Mesa", (("Tempe", None), ("Chandler", None)))
    bright = _vehicle(f"{prefix}-2", "vendor@brightstreet.example", "lighting", "Mesa", (("Tempe", None),))
    flow = _vehicle(f"{prefix}-3", "vendor@flowmobility.example", "mobility", "Chandler",
                    (("Mesa", None), ("Tempe", None)))
    pairs = [(park, m) for m in ("Mesa", "Tempe", "Chandler")] + [(bright, m) for m in ("Mesa", "Tempe")] + [
        (flow, m) for m in ("Chandler", "Mesa", "Tempe")]
    made, numbers = [], iter(range(1, 10000))
    states = ("active", "submitted", "active", "draft", "active")  # cycled, so every state occurs
    for vehicle, member in pairs:
        for _ in range(orders_per_pair):
            status = states[len(made) % len(states)]
            order = make_order(vehicle, buyer=_buyer(member), quantity=str(rng.randint(1, 40)), status=status)
            made.append(order)
    for order in made:
        if order.submitted_at is not None:  # spread the submissions over 2026 (noon in Phoenix)
            day = date(2026, 1, 1) + timedelta(days=rng.randint(0, 320))
            order.submitted_at = datetime(day.year, day.month, day.day, 19, tzinfo=UTC)
        if order.status == "active":
            for _ in range(rng.randint(0, 3)):
                issued = date(2026, 1, 1) + timedelta(days=rng.randint(0, 320))
                _invoice(order, rng, f"{prefix}-{next(numbers)}", rng.choice(("submitted", "approved", "paid",
                                                                               "rejected")), issued)
    active = [o for o in made if o.status == "active"]
    cancelled = next(o for o in made if o.status in ("approved", "pending_approval"))
    orders.cancel_order(cancelled, actor=user(_buyer(cancelled.member.name)))
    terminated = active[0]
    orders.terminate_order(terminated, actor=user(f"approver@{terminated.member.name.lower()}.example"),
                           reason="Budget cut")
    # A submission late on 31 March in Phoenix is 1 April in UTC: it counts in the first quarter.
    boundary = make_order(flow, buyer=_buyer("Tempe"), quantity="3", status="submitted")
    boundary.submitted_at = datetime(2026, 4, 1, 5, 30, tzinfo=UTC)
    performance = {}
    for name, values in (("released", ("97.2", "99.3", "94.6")), ("forfeited", ("94.0", "96.0", "94.5")),
                         ("pending", ("97.2", "99.3"))):
        order = make_order(bright, buyer=_buyer("Tempe"), quantity="1", status="active", performance=STREET_LIGHTS)
        for period, value in enumerate(values, start=1):
            _observe(order, period, "availability", value)
        performance[name] = order.id
    savings = make_order(bright, buyer=_buyer("Mesa"), quantity="1", status="active", performance=SHARED_SAVINGS)
    _observe(savings, 1, "energy_use", "1800000")
    _observe(savings, 2, "energy_use", "2300000")
    performance["savings"] = savings.id
    db.session.commit()
    reports = _sales_reports(park, bright, flow)
    db.session.commit()
    return {"vehicles": [park.id, bright.id, flow.id], "performance": performance, "boundary": boundary.id,
            "terminated": terminated.id, "cancelled": cancelled.id, "reports": reports}


def _sales_reports(park, bright, flow) -> dict:
    """Accepted reports with fees (one partly paid), a submitted one, a late one: stored as the sales reports'
    services leave them (their lifecycle is tested with them)."""
    gpsr = consortium("gpsr")
    admin = user("admin@gpsr.example")
    made = {}
    for key, vehicle, quarter, status, fee, payments, due in (
            ("park_q1", park, "2026Q1", "accepted", "1500.00", ("1500.00",), date(2026, 4, 30)),
            ("park_q2", park, "2026Q2", "accepted", "416.67", ("200.00", "16.67"), date(2026, 7, 30)),
            ("bright_q2", bright, "2026Q2", "accepted", "980.10", (), date(2026, 7, 30)),
            ("flow_q2", flow, "2026Q2", "submitted", "75.00", (), date(2026, 7, 30)),
            ("flow_q3", flow, "2026Q3", "due", "0.00", (), date(2026, 10, 30))):
        report = SalesReport(consortium_id=gpsr.id, vehicle_id=vehicle.id, vendor_id=vehicle.awards[0].vendor_id,
                             quarter=quarter, status=status, due_on=due, fee_due_on=due + timedelta(days=30),
                             admin_fee_pct=Decimal("1.5"), fee=Decimal(fee),
                             net_total=(Decimal(fee) / Decimal("0.015")).quantize(Decimal("0.01")))
        for amount in payments:
            report.payments.append(FeePayment(consortium_id=gpsr.id, amount=Decimal(amount), paid_on=due,
                                              recorded_by_id=admin.id))
        report.fee_paid = sum((Decimal(a) for a in payments), D0)
        db.session.add(report)
        db.session.flush()
        made[key] = report.id
    return made


# --- the ledgers' sums, independently -----------------------------------------------------------------------


def _quarter(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _category(order: Order) -> str:
    if order.lines:
        return order.lines[0].schedule_item.price_item.listing.category
    return order.vehicle.award_of(order.vendor_id).listings[0].category


def _group(order: Order, group_by: str, day: date) -> str:
    return {"member": lambda: str(order.member_id), "vehicle": lambda: str(order.vehicle_id),
            "vendor": lambda: str(order.vendor_id), "category": lambda: _category(order),
            "quarter": lambda: _quarter(day)}[group_by]()


def sees(order: Order, who) -> bool:
    """Whether `who` (a user) may see the order: the office all, a member its own, a vendor its own approved."""
    if who.role == "admin":
        return True
    if who.role == "vendor":
        return order.vendor_id == who.organization_id and order.approved_at is not None
    return order.member_id == who.organization_id


def _within(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def ledger_spend(slug: str, who, group_by: str, start: date | None = None, end: date | None = None) -> dict:
    """{key: (committed, invoiced, paid)} summed from every order and invoice of the consortium."""
    consortium_id = consortium(slug).id
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [D0, D0, D0])
    for order in db.session.scalars(select(Order).where(Order.consortium_id == consortium_id)):
        if order.committed and sees(order, who):
            day = order.submitted_at.astimezone(PHOENIX if slug == "gpsr" else ZoneInfo("America/Denver")).date()
            if _within(day, start, end):
                sums[_group(order, group_by, day)][0] += order.committed
    for invoice in db.session.scalars(select(Invoice).where(Invoice.consortium_id == consortium_id)):
        if invoice.direction != "vendor_to_city" or invoice.status == "rejected" or not sees(invoice.order, who):
            continue
        if _within(invoice.issued_on, start, end):
            row = sums[_group(invoice.order, group_by, invoice.issued_on)]
            row[1] += invoice.amount
            if invoice.status == "paid":
                row[2] += invoice.amount
    return {key: tuple(values) for key, values in sums.items()}


def ledger_settlements(slug: str, who) -> dict[str, Decimal]:
    """Savings and holdbacks summed from each visible order's settlement as its page gets it."""
    totals = {"savings": D0, "city_net": D0, "released": D0, "forfeited": D0, "pending": D0}
    for order in db.session.scalars(select(Order).where(Order.consortium_id == consortium(slug).id)):
        if order.status not in ("active", "completed", "terminated") or not sees(order, who):
            continue
        settlement = observations.settlement_for(order)
        if settlement is None:
            continue
        totals["savings"] += sum((row.result.savings for row in settlement.savings), D0)
        totals["city_net"] += sum((row.result.city_net for row in settlement.savings), D0)
        for key in ("released", "forfeited", "pending"):
            totals[key] += getattr(settlement.totals, key)
    return totals


def ledger_fees(slug: str, vendor_name: str | None = None) -> tuple[Decimal, Decimal]:
    """(billed, paid): fees of accepted reports and the payments recorded against them."""
    billed = paid = D0
    for report in db.session.scalars(select(SalesReport).where(SalesReport.consortium_id == consortium(slug).id)):
        if report.status != "accepted" or (vendor_name and report.vendor_id != org(vendor_name).id):
            continue
        billed += report.fee
        paid += sum((p.amount for p in report.payments), D0)
    return billed, paid
