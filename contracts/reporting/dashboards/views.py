"""The dashboard page (office: the whole consortium; a member: its own orders; a vendor: its own) with its
charts and the same figures in tables, and the spend table as CSV. Works without JavaScript: the filters are a
plain GET form."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from consortium.context import current_consortium, require
from contracts.reporting.dashboards import documents, queries
from contracts.reporting.dashboards.permissions import can_view_dashboard
from contracts.reporting.dashboards.validation import GROUPS, Filters, parse_filters
from marketplace.csvexport import csv_response
from marketplace.errors import ValidationFailed
from marketplace.formerrors import fail_form

bp = Blueprint("dashboards", __name__, url_prefix="/c/<consortium_slug>", template_folder="../../templates")

FILTER_FIELDS = {"group_by": ("Group spend by", "f-group"), "from": ("From", "f-from"), "to": ("To", "f-to")}


def _scope_text(consortium) -> str:
    if current_user.role == "admin":
        return f"Every member, vehicle and vendor of {consortium.name}."
    name = current_user.organization.name
    if current_user.role == "vendor":
        return f"{name}'s orders in {consortium.name}, once approved, and its sales reports."
    return f"{name}'s orders in {consortium.name}."


def _figures(consortium, filters: Filters) -> dict:
    spend = queries.spend(current_user, consortium, filters)
    ceilings = queries.ceiling_use(current_user) if current_user.role != "vendor" else None
    settlement_rows, settlement_totals = queries.settlements(current_user, consortium, filters)
    fee_summary = queries.fees(current_user, consortium, filters)
    return {
        "spend": spend, "spend_chart": documents.spend_chart(spend) if spend.rows else None,
        "ceilings": ceilings, "ceiling_chart": documents.ceiling_chart(ceilings) if ceilings else None,
        "settlement_rows": settlement_rows, "settlement_totals": settlement_totals,
        "settlement_chart": documents.settlement_chart(settlement_totals) if settlement_rows else None,
        "fees": fee_summary,
        "fees_chart": documents.fees_chart(fee_summary) if fee_summary and fee_summary.rows else None,
    }


@bp.route("/dashboard")
def dashboard():
    require(can_view_dashboard(current_user))
    consortium = current_consortium()
    default = queries.default_group(current_user)
    context = {"groups": GROUPS, "scope": _scope_text(consortium), "consortium": consortium}
    try:
        filters = parse_filters(request.args, default_group=default)
    except ValidationFailed as err:
        values = {key: request.args.get(key, "") for key in FILTER_FIELDS}
        form = fail_form("filters", err, anchor="filters", values=values, fields=FILTER_FIELDS)
        return render_template("contracts/reporting/dashboards/dashboard.html", form=form, values=values,
                               filters=None, **context), 400
    values = {"group_by": filters.group_by, "from": filters.start.isoformat() if filters.start else "",
              "to": filters.end.isoformat() if filters.end else ""}
    return render_template("contracts/reporting/dashboards/dashboard.html", form=None, values=values,
                           filters=filters, **context, **_figures(consortium, filters))


@bp.route("/dashboard/spend.csv")
def spend_csv():
    """The spend table with the filters applied (400 with the message for bad filters)."""
    require(can_view_dashboard(current_user))
    consortium = current_consortium()
    try:
        filters = parse_filters(request.args, default_group=queries.default_group(current_user))
    except ValidationFailed as err:
        abort(400, description=err.in_full)
    spend = queries.spend(current_user, consortium, filters)
    rows = ((filters.group_by, row.key, row.label, row.committed, row.invoiced, row.paid) for row in spend.rows)
    return csv_response(f"spend-by-{filters.group_by}.csv",
                        ("group_by", "key", "label", "committed", "invoiced", "paid"), rows)
