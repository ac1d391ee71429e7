"""Who may see and act on sales reports: one pure predicate per action.

DESIGN section 3: a sales report is visible to its vendor and the consortium's admins, nobody else. The
vendor edits its reported lines and submits while the report is due or returned; the office accepts or
returns a submitted report and records fee payments on accepted ones. The lifecycle
(`services.REPORT_LIFECYCLE`) calls these; pages, the API and the work queue ask the same ones.
"""

from __future__ import annotations

from consortium.permissions import is_office_of, signed_in
from contracts.reporting.models import OPEN_STATUSES


def is_vendor_of(user, report) -> bool:
    """Staff of the report's vendor."""
    return signed_in(user) and user.role == "vendor" and user.organization_id == report.vendor_id


def can_list_sales_reports(user, consortium) -> bool:
    """The list page: vendors (their own reports) and the office (all of them)."""
    return signed_in(user) and (user.role == "vendor" or is_office_of(user, consortium.id))


def can_view_sales_report(user, report) -> bool:
    """The report's vendor and the consortium's admins."""
    return is_vendor_of(user, report) or is_office_of(user, report.consortium_id)


def can_edit_sales_report(user, report) -> bool:
    """The vendor replaces its reported lines while the report is due or returned."""
    return is_vendor_of(user, report) and report.status in OPEN_STATUSES


def can_submit_sales_report(user, report) -> bool:
    """The vendor files the report (a zero report too)."""
    return is_vendor_of(user, report)


def can_decide_sales_report(user, report) -> bool:
    """The office accepts or returns a submitted report."""
    return is_office_of(user, report.consortium_id)


def can_record_fee_payment(user, report) -> bool:
    """The office records what the vendor paid of a report's fee (once accepted: the service checks that under
    the report's row lock)."""
    return is_office_of(user, report.consortium_id)
