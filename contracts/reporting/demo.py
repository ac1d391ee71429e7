"""Demo sales reports (DESIGN section 8): last quarter's reports of the Greater Phoenix vehicles, opened through
the real services relative to the day the demo is loaded (loaded on 2026-12-02, that is 2026Q3, due 30 Oct):

- the first report (by vehicle and vendor) filed by its vendor with one sale outside the marketplace, accepted
  by the office, and its admin fee paid in full;
- the others left as they fall: due and, once their due date has passed, late.

Idempotent: opening creates only missing reports, and the first report is filed only while it is still due.
"""

from __future__ import annotations

from sqlalchemy import select

from consortium import queries as people
from consortium.models import Consortium, User
from contracts.reporting import fees, services
from contracts.reporting.models import SalesReport
from marketplace.extensions import db

SLUG = "gpsr"
OFFICE = "admin@gpsr.example"
OUTSIDE_SALE = {"customer_name": "Maricopa County Facilities", "gross": "48000.00", "tax": "3600.00",
                "freight": "400.00", "returns": "0.00"}


def load_sales_reports() -> None:
    consortium = db.session.scalar(select(Consortium).where(Consortium.slug == SLUG))
    admin = db.session.scalar(select(User).where(User.email == OFFICE))
    if consortium is None or admin is None:
        return
    today = people.local_date(consortium)
    quarter = fees.previous_quarter(today)
    services.open_reports(consortium, quarter)
    db.session.flush()
    first = db.session.scalar(select(SalesReport).where(
        SalesReport.consortium_id == consortium.id, SalesReport.quarter == quarter)
        .order_by(SalesReport.vehicle_id, SalesReport.vendor_id).limit(1))
    if first is None or first.status != "due":
        return
    vendor = db.session.scalar(select(User).where(User.organization_id == first.vendor_id, User.role == "vendor")
                               .order_by(User.id).limit(1))
    if vendor is None:
        return
    services.replace_reported_lines(first, {"lines": [OUTSIDE_SALE]}, actor=vendor)
    first = services.submit_report(first, actor=vendor)
    first = services.accept_report(first, actor=admin, reason="Matches the invoices on file.")
    if first.fee > 0:
        services.record_payment(first, {"amount": str(first.fee), "paid_on": today.isoformat()}, actor=admin,
                                today=today)
    db.session.flush()
