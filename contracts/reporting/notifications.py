"""Who is told about sales reports (DESIGN section 7, "Who is told what"), and the daily job's part.

Events:
- a report opened → the vendor's users (what is due, by when);
- a report submitted → the consortium's admins, who accept or return it;
- a report accepted or returned → the vendor's users.

Daily (`flask --app marketplace reminders run`), idempotent:
- the reports of the quarter that has just ended are opened (`services.open_reports`: missing ones only);
- a report due in 7 days or less and not filed → the vendor's users, once;
- a report late (not filed after its due date) → the vendor's users and the admins, once;
- an accepted report's fee unpaid after its fee due date → the vendor's users and the admins, once.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consortium import queries as people
from contracts.reporting import fees, services
from contracts.reporting.models import OPEN_STATUSES, SalesReport
from marketplace.extensions import db
from marketplace.formats import day, money
from marketplace.notifications.events import on
from marketplace.notifications.reminders import reminder
from marketplace.notifications.services import notify

KIND = "sales_report"
DUE_SOON_DAYS = 7


def _link(report: SalesReport) -> str:
    return people.consortium_link(report.consortium_id, "sales_reports.report", report_id=report.id)


def _name(report: SalesReport, article: str = "the") -> str:
    return f"{article} {report.quarter} sales report for vehicle {report.vehicle.number}"


def _tell_vendor(event_or_none, report: SalesReport, *, subject: str, body: str, once_key: str | None = None,
                 also_admins: bool = False) -> int:
    recipients = list(people.users_of(report.vendor_id))
    if also_admins:
        recipients += people.admins_of(report.consortium_id)
    actor = people.person(event_or_none.actor_id) if event_or_none is not None else None
    return len(notify(recipients, kind=KIND, subject=subject, body=body, consortium_id=report.consortium_id,
                      obj=report, actor=actor, link=_link(report), once_key=once_key))


@on("sales_report.opened")
def report_opened(event, report: SalesReport) -> None:
    sales = (f"The marketplace prefilled {money(report.net_total)} of sales from your approved and paid invoices."
             if report.lines else "No sales through the marketplace were found: submit a zero report if you had none.")
    _tell_vendor(event, report, subject=f"{report.quarter} sales report for {report.vehicle.number} is due "
                                         f"{day(report.due_on)}",
                 body=(f"Report your sales under vehicle {report.vehicle.number} ({report.vehicle.title}) for "
                       f"{report.quarter} by {day(report.due_on)}. {sales} Add sales to public entities that bought "
                       "outside the marketplace, then submit."))


@on("sales_report.submitted")
def report_submitted(event, report: SalesReport) -> None:
    notify(people.admins_of(report.consortium_id), kind=KIND,
           subject=f"{report.vendor.name} submitted {_name(report)}",
           body=(f"{report.vendor.name} reported net sales of {money(report.net_total)} under vehicle "
                 f"{report.vehicle.number} for {report.quarter}: an admin fee of {money(report.fee)}. Accept the "
                 "report, or return it with what to correct."),
           consortium_id=report.consortium_id, obj=report, actor=people.person(event.actor_id), link=_link(report))


@on("sales_report.accepted")
def report_accepted(event, report: SalesReport) -> None:
    _tell_vendor(event, report, subject=f"Your {report.quarter} sales report for {report.vehicle.number} was accepted",
                 body=(f"The consortium office accepted {_name(report)}. The admin fee of {money(report.fee)} is due "
                       f"by {day(report.fee_due_on)}."))


@on("sales_report.returned")
def report_returned(event, report: SalesReport) -> None:
    reason = f" The office wrote: “{event.reason}”" if event.reason else ""
    _tell_vendor(event, report, subject=f"Your {report.quarter} sales report for {report.vehicle.number} was returned",
                 body=f"The consortium office returned {_name(report)} for correction.{reason} Correct it and submit "
                      "it again.")


# --- the daily job ---------------------------------------------------------------------------------------------


@reminder("sales_reports_opened")
def open_last_quarter(today: date | None) -> int:
    """Open the reports of the quarter that ended before today (missing ones only)."""
    opened = 0
    for consortium, on_day in people.days_by_consortium(today):
        opened += len(services.open_reports(consortium, fees.previous_quarter(on_day)))
    return opened


def _open_reports(consortium_id: int, *criteria) -> list[SalesReport]:
    return list(db.session.scalars(
        select(SalesReport).where(SalesReport.consortium_id == consortium_id, *criteria)
        .options(selectinload(SalesReport.vehicle), selectinload(SalesReport.vendor))
        .order_by(SalesReport.id).execution_options(all_tenants=True)))


@reminder("sales_report_due")
def reports_due_soon(today: date | None) -> int:
    """Reports due within 7 days and not filed: the vendor's users, once per report and due date."""
    written = 0
    for consortium, on_day in people.days_by_consortium(today):
        for report in _open_reports(consortium.id, SalesReport.status.in_(OPEN_STATUSES),
                                    SalesReport.due_on >= on_day,
                                    SalesReport.due_on <= on_day + timedelta(days=DUE_SOON_DAYS)):
            days = (report.due_on - on_day).days
            when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
            written += _tell_vendor(None, report, subject=f"{report.quarter} sales report for "
                                    f"{report.vehicle.number} is due {when}",
                                    body=(f"{_name(report, 'The')} is due on {day(report.due_on)}. Add your sales "
                                          "outside the marketplace and submit it (a zero report if you sold "
                                          "nothing)."),
                                    once_key=f"sales-report-due:{report.id}:{report.due_on.isoformat()}")
    return written


@reminder("sales_report_late")
def reports_late(today: date | None) -> int:
    """Reports not filed after their due date, and accepted reports whose fee is overdue: the vendor's users and
    the admins, once each."""
    written = 0
    for consortium, on_day in people.days_by_consortium(today):
        for report in _open_reports(consortium.id, SalesReport.status.in_(OPEN_STATUSES), SalesReport.due_on < on_day):
            written += _tell_vendor(None, report, also_admins=True,
                                    subject=f"{report.quarter} sales report for {report.vehicle.number} from "
                                            f"{report.vendor.name} is late",
                                    body=(f"{_name(report, 'The')} from {report.vendor.name} was due on "
                                          f"{day(report.due_on)} and has not been submitted."),
                                    once_key=f"sales-report-late:{report.id}")
        for report in _open_reports(consortium.id, SalesReport.status == "accepted",
                                    SalesReport.fee_paid < SalesReport.fee, SalesReport.fee_due_on < on_day):
            written += _tell_vendor(None, report, also_admins=True,
                                    subject=f"Admin fee for the {report.quarter} report on {report.vehicle.number} is "
                                            "overdue",
                                    body=(f"{money(report.fee_balance)} of the {money(report.fee)} admin fee on "
                                          f"{_name(report)} from {report.vendor.name} was due on "
                                          f"{day(report.fee_due_on)} and is unpaid."),
                                    once_key=f"sales-report-fee-overdue:{report.id}")
    return written
