"""Sales reports: opening them each quarter, the vendor's lines, the lifecycle, and admin-fee payments.

The lifecycle (every step through `marketplace.transitions.run`: locked re-read, state, predicate, effects,
audit):

    step     from           to         who                     reason     effects                 audit action
    submit   due, returned  submitted  the report's vendor     none       platform lines and      sales_report.submitted
                                                                        totals recomputed, stamp
    accept   submitted      accepted   the consortium's admins optional   the fee is billed       sales_report.accepted
    return   submitted      returned   the consortium's admins required   the reason is kept      sales_report.returned

Opening (`sales_report.opened`), replacing the reported lines (`sales_report.updated`) and recording a fee
payment (`sales_report.fee_paid`) are not lifecycle steps, but each locks the report row first
(`transitions.lock`): two payments can never together pay more than the fee. Services take the acting user,
flush and raise; the caller commits.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select

from consortium import queries as people
from consortium.models import Consortium, Organization
from contracts.invoices.models import VENDOR_TO_CITY, Invoice
from contracts.orders.models import Order
from contracts.reporting import fees
from contracts.reporting import permissions as can
from contracts.reporting.models import (
    OPEN_STATUSES,
    PLATFORM,
    REPORT_STATUSES,
    REPORTED,
    STATUS_LABELS,
    FeePayment,
    SalesReport,
    SalesReportLine,
)
from contracts.reporting.validation import QUARTER_HINT, clean_lines, clean_payment, clean_quarter
from contracts.vehicles.models import Vehicle
from marketplace import audit, transitions
from marketplace.db import utcnow
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import day, money
from marketplace.numbers import to_cents
from marketplace.transitions import Lifecycle, transition

SALES = ("approved", "paid")  # invoice statuses that count as the vendor's sales
VENDOR_ONLY = "Only the report's vendor files it."
OFFICE_ONLY = "Only the consortium office accepts or returns sales reports."


# --- figures -------------------------------------------------------------------------------------------


def platform_sales(report: SalesReport) -> dict[int, Decimal]:
    """Per member: the vendor's invoices to it on the vehicle's orders, approved or paid, issued in the quarter
    (the vendor's own invoices only: a city's revenue-share invoice to the vendor is no sale)."""
    first, last = fees.quarter_bounds(report.quarter)
    rows = db.session.execute(
        select(Order.member_id, func.sum(Invoice.amount))
        .join(Order, Order.id == Invoice.order_id)
        .where(Order.vehicle_id == report.vehicle_id, Invoice.vendor_id == report.vendor_id,
               Invoice.direction == VENDOR_TO_CITY, Invoice.status.in_(SALES),
               Invoice.issued_on >= first, Invoice.issued_on <= last)
        .group_by(Order.member_id)
        .execution_options(all_tenants=True)).all()  # scoped by the report's own vehicle
    return {member_id: to_cents(Decimal(total)) for member_id, total in rows if total}


def _refresh_platform_lines(report: SalesReport) -> None:
    for line in report.platform_lines:
        report.lines.remove(line)
    sales = platform_sales(report)
    members = db.session.scalars(select(Organization).where(Organization.id.in_(list(sales))))
    by_name = sorted(members, key=lambda org: org.name)
    for position, member in enumerate(by_name):
        gross = sales[member.id]
        report.lines.append(SalesReportLine(source=PLATFORM, position=position, member_id=member.id, gross=gross,
                                            tax=Decimal("0.00"), freight=Decimal("0.00"), returns=Decimal("0.00"),
                                            net=fees.line_net(gross, Decimal(0), Decimal(0), Decimal(0))))


def _recompute(report: SalesReport) -> None:
    """Platform lines from the invoices as they are now, then the report's net total and fee."""
    _refresh_platform_lines(report)
    figures = fees.figures((line.net for line in report.lines), report.admin_fee_pct)
    report.net_total, report.fee = figures.net_total, figures.fee
    db.session.flush()


def _figures(report: SalesReport) -> dict:
    return {"net_total": report.net_total, "fee": report.fee, "lines": len(report.lines)}


# --- opening ---------------------------------------------------------------------------------------------


def vehicles_in_force(consortium: Consortium, quarter: str) -> list[Vehicle]:
    """Vehicles active during at least one day of the quarter: activated (or terminated since), with a term
    that overlaps it."""
    first, last = fees.quarter_bounds(quarter)
    return list(db.session.scalars(
        select(Vehicle).where(Vehicle.consortium_id == consortium.id, Vehicle.status.in_(("active", "terminated")),
                              Vehicle.start_date <= last, Vehicle.end_date >= first,
                              or_(Vehicle.terminated_at.is_(None),
                                  Vehicle.terminated_at >= people.start_of_day(consortium, first)))
        .order_by(Vehicle.id).execution_options(all_tenants=True)))


def open_reports(consortium: Consortium, quarter, *, actor=None) -> list[SalesReport]:
    """Create the missing reports of `quarter` (`2026Q3`): one per vehicle in force during it × awarded vendor.
    Idempotent: a report that exists is left as it is. Returns the reports created."""
    fields: dict[str, str] = {}
    quarter = clean_quarter(quarter, "quarter", fields)
    if quarter is None:
        raise ValidationFailed(QUARTER_HINT, fields)
    due_on, fee_due_on = fees.due_dates(quarter, consortium.report_due_days, consortium.fee_due_days)
    existing = set(tuple(row) for row in db.session.execute(
        select(SalesReport.vehicle_id, SalesReport.vendor_id).where(
            SalesReport.consortium_id == consortium.id, SalesReport.quarter == quarter)
        .execution_options(all_tenants=True)))
    created = []
    for vehicle in vehicles_in_force(consortium, quarter):
        for award in vehicle.awards:
            if (vehicle.id, award.vendor_id) in existing:
                continue
            report = SalesReport(consortium_id=consortium.id, vehicle_id=vehicle.id, vendor_id=award.vendor_id,
                                 quarter=quarter, status="due", due_on=due_on, fee_due_on=fee_due_on,
                                 admin_fee_pct=vehicle.admin_fee_pct)
            db.session.add(report)
            _recompute(report)
            audit.record(consortium_id=consortium.id, actor=actor, action=audit.SALES_REPORT_OPENED, obj=report,
                         object_type=SalesReport.object_type, after={"status": "due", "quarter": quarter,
                                                                     "due_on": due_on, **_figures(report)})
            existing.add((vehicle.id, award.vendor_id))
            created.append(report)
    return created


# --- the vendor's lines ----------------------------------------------------------------------------------


def member_ids(consortium_id: int) -> set[int]:
    return set(db.session.scalars(select(Organization.id).where(
        Organization.consortium_id == consortium_id, Organization.kind == "member")))


def replace_reported_lines(report: SalesReport, data, *, actor) -> SalesReport:
    """Replace the vendor's reported lines (the platform's are recomputed, never edited) while the report is
    due or returned."""
    if not can.is_vendor_of(actor, report):
        raise PermissionDenied("Only the report's vendor edits its lines.")
    lines = clean_lines(data, member_ids(report.consortium_id))
    report = transitions.lock(SalesReport, report.id) or report
    if report.status not in OPEN_STATUSES:
        raise Conflict(f"This report is {STATUS_LABELS[report.status].lower()}: its lines can no longer be changed.")
    before = _figures(report)
    for line in report.reported_lines:
        report.lines.remove(line)
    for position, line in enumerate(lines):
        net = fees.line_net(line["gross"], line["tax"], line["freight"], line["returns"])
        report.lines.append(SalesReportLine(source=REPORTED, position=position, net=net, **line))
    _recompute(report)
    audit.record(consortium_id=report.consortium_id, actor=actor, action=audit.SALES_REPORT_UPDATED, obj=report,
                 object_type=SalesReport.object_type, before=before, after=_figures(report))
    return report


# --- the lifecycle ---------------------------------------------------------------------------------------


def _submitted(report: SalesReport, ctx) -> None:
    _recompute(report)
    report.submitted_at, report.submitted_by_id = utcnow(), ctx.actor.id
    report.return_reason = None


def _decided(report: SalesReport, ctx) -> None:
    report.decided_at, report.decided_by_id = utcnow(), ctx.actor.id
    if ctx.transition.name == "return":
        report.return_reason = ctx.reason


REPORT_LIFECYCLE = Lifecycle(
    model=SalesReport, noun="sales report", states=REPORT_STATUSES, object_type=SalesReport.object_type,
    state_labels={k: v.lower() for k, v in STATUS_LABELS.items()},
    transitions=(
        transition("submit", {"due", "returned"}, "submitted", can.can_submit_sales_report, "sales_report.submitted",
                   "submitted", reason="none", effects=(_submitted,), denied=VENDOR_ONLY,
                   audit_after=lambda r: {"net_total": r.net_total, "fee": r.fee}),
        transition("accept", {"submitted"}, "accepted", can.can_decide_sales_report, "sales_report.accepted",
                   "accepted", reason="optional", effects=(_decided,), denied=OFFICE_ONLY,
                   audit_after=lambda r: {"fee": r.fee}),
        transition("return", {"submitted"}, "returned", can.can_decide_sales_report, "sales_report.returned",
                   "returned", reason="required", effects=(_decided,), denied=OFFICE_ONLY,
                   reason_message="Say what the vendor must correct."),
    ),
)


def submit_report(report: SalesReport, *, actor) -> SalesReport:
    """The vendor files its report (a zero report when it sold nothing)."""
    return transitions.run(REPORT_LIFECYCLE, report, "submit", actor=actor)


def accept_report(report: SalesReport, *, actor, reason: str | None = None) -> SalesReport:
    """The office accepts a submitted report: its fee is billed."""
    return transitions.run(REPORT_LIFECYCLE, report, "accept", actor=actor, reason=reason)


def return_report(report: SalesReport, *, actor, reason: str | None) -> SalesReport:
    """The office sends a submitted report back to the vendor with what to correct."""
    return transitions.run(REPORT_LIFECYCLE, report, "return", actor=actor, reason=reason)


# --- fee payments ----------------------------------------------------------------------------------------


def record_payment(report: SalesReport, data, *, actor, today: date) -> FeePayment:
    """Record what the vendor paid of an accepted report's fee: more than zero, at most the balance, paid on a
    day not after `today` (the consortium's date). The report row is locked first, so two concurrent payments
    can never together pay more than the fee."""
    if not can.can_record_fee_payment(actor, report):
        raise PermissionDenied("Only the consortium office records fee payments.")
    cleaned = clean_payment(data)
    if cleaned["paid_on"] > today:
        raise ValidationFailed("The payment date is in the future.",
                               {"paid_on": f"Give a date on or before {day(today)}."})
    report = transitions.lock(SalesReport, report.id) or report
    if report.status != "accepted":
        raise Conflict(f"This report is {STATUS_LABELS[report.status].lower()}: fees are recorded once it is "
                       "accepted.")
    balance = report.fee - report.fee_paid
    if cleaned["amount"] > balance:
        raise Conflict(f"{money(cleaned['amount'])} is more than the balance of {money(balance)}: nothing was "
                       "recorded.")
    payment = FeePayment(consortium_id=report.consortium_id, report=report, amount=cleaned["amount"],
                         paid_on=cleaned["paid_on"], recorded_by_id=actor.id)
    db.session.add(payment)
    before = {"fee_paid": report.fee_paid}
    report.fee_paid = report.fee_paid + cleaned["amount"]
    db.session.flush()
    audit.record(consortium_id=report.consortium_id, actor=actor, action=audit.FEE_PAYMENT_RECORDED, obj=report,
                 object_type=SalesReport.object_type, before=before,
                 after={"fee_paid": report.fee_paid, "amount": cleaned["amount"], "paid_on": cleaned["paid_on"],
                        "balance": report.fee - report.fee_paid})
    return payment
