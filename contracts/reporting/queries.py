"""Loading sales reports for pages, the API and exports alike (strangers get 404, never 403), the list's
filters, balances per vendor, and the work queue.

Visibility (DESIGN section 3): a report is seen by its vendor and the consortium's admins; members see none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import abort, url_for
from sqlalchemy import false, func, select
from sqlalchemy.orm import selectinload

from consortium import queries as people
from consortium.models import Organization
from consortium.permissions import is_office_of
from contracts.reporting import permissions as can
from contracts.reporting.models import FILED_STATUSES, OPEN_STATUSES, REPORT_STATUSES, SalesReport, SalesReportLine
from contracts.reporting.validation import clean_quarter
from contracts.vehicles.models import Vehicle
from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import parse_id
from marketplace.numbers import to_cents
from marketplace.queue import QueueItem, provider
from marketplace.tenancy import get_or_404

REPORT_OPTIONS = (
    selectinload(SalesReport.vehicle), selectinload(SalesReport.vendor),
    selectinload(SalesReport.lines).selectinload(SalesReportLine.member),
    selectinload(SalesReport.payments), selectinload(SalesReport.submitted_by), selectinload(SalesReport.decided_by),
)
LIST_OPTIONS = (selectinload(SalesReport.vehicle), selectinload(SalesReport.vendor))


def get_report_or_404(report_id) -> SalesReport:
    """A report of the current consortium (the tenant hook scopes the query), with what its page shows."""
    return get_or_404(SalesReport, report_id, *REPORT_OPTIONS)


def visible_report_or_404(report_id, user) -> SalesReport:
    """A report `user` may see (its vendor, the office), else 404."""
    report = get_report_or_404(report_id)
    if not can.can_view_sales_report(user, report):
        abort(404)
    return report


def visible_reports_stmt(user, consortium):
    """The reports `user` may list: the office all, a vendor its own, nobody else any."""
    stmt = select(SalesReport)
    if is_office_of(user, consortium.id):
        return stmt
    if getattr(user, "role", None) == "vendor":
        return stmt.where(SalesReport.vendor_id == user.organization_id)
    return stmt.where(false())


@dataclass(frozen=True)
class ReportFilters:
    vehicle_id: int | None = None
    quarter: str | None = None
    status: str | None = None
    late: bool = False

    def args(self) -> dict:
        """The filters as query-string arguments (for the export link and the form)."""
        values = {"vehicle_id": self.vehicle_id, "quarter": self.quarter, "status": self.status,
                  "late": "1" if self.late else None}
        return {k: v for k, v in values.items() if v}


def parse_filters(args) -> ReportFilters:
    """The list's filters from a query string; a bad one is a 400 with its field named (never a 500)."""
    fields: dict[str, str] = {}
    vehicle_id = None
    if args.get("vehicle_id"):
        vehicle_id = parse_id(args.get("vehicle_id"))
        if vehicle_id is None:
            fields["vehicle_id"] = "Choose a vehicle."
    quarter = clean_quarter(args.get("quarter"), "quarter", fields, required=False)
    status = args.get("status") or None
    if status is not None and status not in REPORT_STATUSES:
        fields["status"] = f"Choose one of: {', '.join(REPORT_STATUSES)}."
    late = args.get("late") or ""
    if late not in ("", "0", "1"):
        fields["late"] = "Use 1 for late reports only."
    if fields:
        raise ValidationFailed(fields.get("quarter", "The filters are not valid."), fields)
    return ReportFilters(vehicle_id, quarter, status, late == "1")


def filtered_stmt(user, consortium, filters: ReportFilters, today: date):
    stmt = visible_reports_stmt(user, consortium)
    if filters.vehicle_id:
        stmt = stmt.where(SalesReport.vehicle_id == filters.vehicle_id)
    if filters.quarter:
        stmt = stmt.where(SalesReport.quarter == filters.quarter)
    if filters.status:
        stmt = stmt.where(SalesReport.status == filters.status)
    if filters.late:
        stmt = stmt.where(SalesReport.status.not_in(FILED_STATUSES), SalesReport.due_on < today)
    return stmt.options(*LIST_OPTIONS).order_by(SalesReport.quarter.desc(), SalesReport.vehicle_id,
                                                SalesReport.vendor_id)


def vehicles_with_reports(user, consortium) -> list[Vehicle]:
    """The vehicles the filter offers: those of the reports `user` may see."""
    ids = visible_reports_stmt(user, consortium).with_only_columns(SalesReport.vehicle_id).distinct()
    return list(db.session.scalars(select(Vehicle).where(Vehicle.id.in_(ids)).order_by(Vehicle.number)))


@dataclass(frozen=True)
class VendorBalance:
    vendor_id: int
    vendor: str
    billed: Decimal
    paid: Decimal

    @property
    def balance(self) -> Decimal:
        return self.billed - self.paid


def balances_by_vendor(user, consortium) -> list[VendorBalance]:
    """Admin fees billed (accepted reports), paid and owed, per vendor `user` may see."""
    visible = visible_reports_stmt(user, consortium).where(SalesReport.status == "accepted").subquery()
    rows = db.session.execute(
        select(visible.c.vendor_id, func.sum(visible.c.fee), func.sum(visible.c.fee_paid))
        .group_by(visible.c.vendor_id)).all()
    names = dict(db.session.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_([r[0] for r in rows]))).all())
    return sorted((VendorBalance(vid, names.get(vid, ""), to_cents(Decimal(billed or 0)), to_cents(Decimal(paid or 0)))
                   for vid, billed, paid in rows), key=lambda v: v.vendor)


# --- the work queue (marketplace.queue) --------------------------------------------------------------------


def _title(report: SalesReport) -> str:
    return f"{report.quarter} sales report, {report.vehicle.number} ({report.vendor.name})"


@provider
def sales_reports_waiting(user, consortium) -> list[QueueItem]:
    """A vendor: its reports due or returned (with the due date). The office: submitted reports to decide,
    late reports, and accepted reports whose fee is overdue. One query each."""
    slug = consortium.slug
    today = people.local_date(consortium)

    def url(report):
        return url_for("sales_reports.report", consortium_slug=slug, report_id=report.id)

    if user.role == "vendor":
        rows = db.session.scalars(select(SalesReport).where(
            SalesReport.consortium_id == consortium.id, SalesReport.vendor_id == user.organization_id,
            SalesReport.status.in_(OPEN_STATUSES)).options(*LIST_OPTIONS).order_by(SalesReport.due_on))
        return [QueueItem("file_sales_report", _title(r),
                          "Correct and resubmit the sales report" if r.status == "returned" else
                          ("File the late sales report" if r.is_late(today) else "File the sales report"),
                          "sales_report", r.id, url(r), r.decided_at or r.created_at, due_on=r.due_on)
                for r in rows]
    if not is_office_of(user, consortium.id):
        return []
    rows = db.session.scalars(select(SalesReport).where(
        SalesReport.consortium_id == consortium.id,
        (SalesReport.status == "submitted")
        | (SalesReport.status.in_(OPEN_STATUSES) & (SalesReport.due_on < today))
        | ((SalesReport.status == "accepted") & (SalesReport.fee_paid < SalesReport.fee)
           & (SalesReport.fee_due_on < today))).options(*LIST_OPTIONS).order_by(SalesReport.id))
    items = []
    for r in rows:
        if r.status == "submitted":
            items.append(QueueItem("decide_sales_report", _title(r), "Accept or return the sales report",
                                   "sales_report", r.id, url(r), r.submitted_at or r.created_at))
        elif r.status == "accepted":
            items.append(QueueItem("fee_overdue", _title(r), f"Chase the unpaid admin fee (due {r.fee_due_on})",
                                   "sales_report", r.id, url(r), r.decided_at or r.created_at, due_on=r.fee_due_on))
        else:
            items.append(QueueItem("late_sales_report", _title(r), "Chase the late sales report", "sales_report",
                                   r.id, url(r), r.created_at, due_on=r.due_on))
    return items

