"""JSON API for sales reports (DESIGN section 7): list (also as CSV), read, replace the reported lines, submit,
accept, return, record fee payments. The request schemas read their limits from `contracts.reporting.models`."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from consortium import queries as people
from consortium.context import belongs, consortium_or_404
from contracts.reporting import permissions as can
from contracts.reporting import queries, services
from contracts.reporting.models import (
    AMOUNT_MAX,
    CUSTOMER_NAME_MAX,
    QUARTER_PATTERN,
    REPORT_STATUSES,
    REPORTED_LINES_MAX,
    SOURCES,
    SalesReport,
)
from marketplace.api import DATE, ID, operation, wants_csv
from marketplace.csvexport import csv_response, stream_scalars
from marketplace.errors import NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.inputs import REASON_LIMIT

api = Blueprint("sales_reports_api", __name__, url_prefix="/api/v1")

_MONEY_IN = {"type": "string", "maxLength": 20, "pattern": r"^\d{1,12}(\.\d{1,2})?$", "example": "1250.00",
             "description": f"Zero or more, at most {AMOUNT_MAX}."}
_MONEY_OUT = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
LINE_IN = {
    "type": "object", "additionalProperties": False, "required": ["gross"],
    "properties": {
        "member_id": {"oneOf": [ID, {"type": "null"}], "description": "A member of the consortium (or name the "
                      "customer)"},
        "customer_name": {"type": ["string", "null"], "maxLength": CUSTOMER_NAME_MAX,
                          "description": "A public entity that bought outside the marketplace"},
        "gross": _MONEY_IN, "tax": _MONEY_IN, "freight": _MONEY_IN, "returns": _MONEY_IN,
        "source": {"type": "string", "enum": list(SOURCES),
                   "description": "Lines sent back with source platform are ignored (the server recomputes them)"},
        "net": {"type": "string", "maxLength": 20, "description": "Ignored: the server computes it"},
    },
}
LINES_IN = {"type": "object", "additionalProperties": False, "required": ["lines"],
            "properties": {"lines": {"type": "array", "maxItems": REPORTED_LINES_MAX * 2, "items": LINE_IN}},
            "description": "Replaces the vendor's reported lines (while the report is due or returned)."}
REASON_IN = {"type": "object", "additionalProperties": False,
             "properties": {"reason": {"type": "string", "maxLength": REASON_LIMIT}}}
REASON_REQUIRED_IN = {"type": "object", "additionalProperties": False, "required": ["reason"],
                      "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": REASON_LIMIT}}}
PAYMENT_IN = {"type": "object", "additionalProperties": False, "required": ["amount", "paid_on"],
              "properties": {"amount": {**_MONEY_IN, "description": "More than zero, at most the fee balance"},
                             "paid_on": DATE}}
REPORT_OUT = {
    "type": "object",
    "required": ["id", "vehicle_id", "vendor_id", "quarter", "status", "due_on", "fee_due_on", "late", "lines",
                 "net_total", "admin_fee_pct", "fee", "fee_paid", "fee_balance"],
    "properties": {
        "id": ID, "reference": {"type": "string"}, "vehicle_id": ID, "vendor_id": ID,
        "quarter": {"type": "string", "pattern": QUARTER_PATTERN},
        "status": {"type": "string", "enum": list(REPORT_STATUSES)},
        "due_on": {"type": "string"}, "fee_due_on": {"type": "string"}, "late": {"type": "boolean"},
        "fee_overdue": {"type": "boolean"},
        "lines": {"type": "array", "items": {"type": "object", "properties": {
            "member_id": {"type": ["integer", "null"]}, "customer_name": {"type": ["string", "null"]},
            "gross": _MONEY_OUT, "tax": _MONEY_OUT, "freight": _MONEY_OUT, "returns": _MONEY_OUT, "net": _MONEY_OUT,
            "source": {"type": "string", "enum": list(SOURCES)}}}},
        "net_total": _MONEY_OUT, "admin_fee_pct": {"type": "string"}, "fee": _MONEY_OUT, "fee_paid": _MONEY_OUT,
        "fee_balance": _MONEY_OUT, "return_reason": {"type": ["string", "null"]},
        "payments": {"type": "array", "items": {"type": "object", "properties": {
            "id": ID, "amount": _MONEY_OUT, "paid_on": {"type": "string"}}}},
    },
}
LIST_OUT = {"type": "object", "required": ["results"],
            "properties": {"results": {"type": "array", "items": REPORT_OUT}}}
LIST_PARAMS = [
    {"name": "vehicle_id", "in": "query", "schema": ID},
    {"name": "quarter", "in": "query", "schema": {"type": "string", "pattern": QUARTER_PATTERN}},
    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(REPORT_STATUSES)}},
    {"name": "late", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}},
]
CSV_HEADER = ("id", "quarter", "vehicle_id", "vendor_id", "status", "due_on", "late", "net_total", "admin_fee_pct",
              "fee", "fee_paid", "fee_balance", "fee_due_on")


def _m(value) -> str:
    return f"{value:.2f}"


def report_json(report: SalesReport, today) -> dict:
    return {
        "id": report.id, "reference": report.reference, "vehicle_id": report.vehicle_id,
        "vendor_id": report.vendor_id, "quarter": report.quarter, "status": report.status,
        "due_on": report.due_on.isoformat(), "fee_due_on": report.fee_due_on.isoformat(),
        "late": report.is_late(today), "fee_overdue": report.is_fee_overdue(today),
        "lines": [{"member_id": line.member_id, "customer_name": line.customer_name if line.member_id is None
                   else line.customer, "gross": _m(line.gross), "tax": _m(line.tax), "freight": _m(line.freight),
                   "returns": _m(line.returns), "net": _m(line.net), "source": line.source} for line in report.lines],
        "net_total": _m(report.net_total), "admin_fee_pct": format(report.admin_fee_pct, "f"), "fee": _m(report.fee),
        "fee_paid": _m(report.fee_paid), "fee_balance": _m(report.fee_balance), "return_reason": report.return_reason,
        "payments": [{"id": p.id, "amount": _m(p.amount), "paid_on": p.paid_on.isoformat()} for p in report.payments],
    }


def _today():
    return people.local_date(consortium_or_404())


def _visible(report_id: int) -> SalesReport:
    consortium_or_404()
    return queries.visible_report_or_404(report_id, current_user)


def _answer(report_id: int, status: int = 200):
    response = jsonify(report_json(queries.get_report_or_404(report_id), _today()))
    response.status_code = status
    return response


@operation(api, "/sales-reports", "GET", summary="Sales reports: a vendor its own, the office all (filters: "
           "vehicle, quarter, status, late); also as CSV", tag="sales-reports", query=LIST_PARAMS,
           response=LIST_OUT, csv=True)
def list_reports():
    consortium = consortium_or_404()
    if not belongs(current_user):
        raise NotFound("Not found.")
    if not can.can_list_sales_reports(current_user, consortium):
        raise PermissionDenied("Only vendors and the consortium office see sales reports.")
    filters = queries.parse_filters(request.args)
    today = _today()
    stmt = queries.filtered_stmt(current_user, consortium, filters, today)
    if wants_csv():
        rows = ((r.id, r.quarter, r.vehicle_id, r.vendor_id, r.status, r.due_on, r.is_late(today), r.net_total,
                 r.admin_fee_pct, r.fee, r.fee_paid, r.fee_balance, r.fee_due_on) for r in stream_scalars(stmt))
        return csv_response("sales-reports.csv", CSV_HEADER, rows)
    stmt = stmt.options(*queries.REPORT_OPTIONS)
    return jsonify({"results": [report_json(r, today) for r in db.session.scalars(stmt.limit(1000))]})


@operation(api, "/sales-reports/<int:report_id>", "GET", summary="A sales report with its lines, net total, fee "
           "and balance (its vendor and the office)", tag="sales-reports", response=REPORT_OUT)
def get_report(report_id):
    return _answer(_visible(report_id).id)


@operation(api, "/sales-reports/<int:report_id>", "PUT", summary="Replace the vendor's reported lines (sales "
           "outside the marketplace) while the report is due or returned", tag="sales-reports", body=LINES_IN,
           response=REPORT_OUT)
def put_report(report_id, data):
    services.replace_reported_lines(_visible(report_id), data, actor=current_user)
    db.session.commit()
    return _answer(report_id)


@operation(api, "/sales-reports/<int:report_id>/submit", "POST", summary="Submit the report (its vendor; a zero "
           "report too)", tag="sales-reports", response=REPORT_OUT)
def submit_report(report_id, data):
    services.submit_report(_visible(report_id), actor=current_user)
    db.session.commit()
    return _answer(report_id)


@operation(api, "/sales-reports/<int:report_id>/accept", "POST", summary="Accept a submitted report: its fee is "
           "billed (the office)", tag="sales-reports", body=REASON_IN, response=REPORT_OUT)
def accept_report(report_id, data):
    services.accept_report(_visible(report_id), actor=current_user, reason=data.get("reason"))
    db.session.commit()
    return _answer(report_id)


@operation(api, "/sales-reports/<int:report_id>/return", "POST", summary="Return a submitted report to its vendor "
           "with what to correct (the office)", tag="sales-reports", body=REASON_REQUIRED_IN, response=REPORT_OUT)
def return_report(report_id, data):
    services.return_report(_visible(report_id), actor=current_user, reason=data.get("reason"))
    db.session.commit()
    return _answer(report_id)


@operation(api, "/sales-reports/<int:report_id>/payments", "POST", summary="Record an admin-fee payment on an "
           "accepted report (the office; at most the balance, 409 above it)", tag="sales-reports", body=PAYMENT_IN,
           response=REPORT_OUT, status=201)
def record_payment(report_id, data):
    services.record_payment(_visible(report_id), data, actor=current_user, today=_today())
    db.session.commit()
    return _answer(report_id, 201)
