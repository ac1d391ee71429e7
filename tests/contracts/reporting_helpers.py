"""Shared setup for the sales-report tests: open a quarter's reports in Greater Phoenix and find one."""

from __future__ import annotations

from sqlalchemy import select

from contracts.reporting import services
from contracts.reporting.models import SalesReport
from contracts.vehicles.models import Vehicle
from marketplace.extensions import db
from tests.conftest import consortium, org, user

PARK = "vendor@parksense.example"
ADMIN = "admin@gpsr.example"


def report_of(vendor_name: str, vehicle_number: str, quarter: str) -> SalesReport:
    services.open_reports(consortium("gpsr"), quarter)
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.number == vehicle_number))
    return db.session.scalar(select(SalesReport).where(
        SalesReport.vehicle_id == vehicle.id, SalesReport.vendor_id == org(vendor_name).id,
        SalesReport.quarter == quarter))


def parksense_report(status: str = "due", quarter: str = "2026Q4") -> SalesReport:
    """ParkSense's report under the curbside vehicle, moved to `status` through the services."""
    report = report_of("ParkSense", "GPSR-2026-004", quarter)
    vendor, admin = db.session.merge(user(PARK)), db.session.merge(user(ADMIN))
    if status in ("submitted", "accepted", "returned"):
        services.replace_reported_lines(report, {"lines": [{"customer_name": "Pima County", "gross": "1000.00"}]},
                                        actor=vendor)
        report = services.submit_report(report, actor=vendor)
    if status == "accepted":
        report = services.accept_report(report, actor=admin)
    if status == "returned":
        report = services.return_report(report, actor=admin, reason="Add the county's freight.")
    return report
