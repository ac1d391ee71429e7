"""JSON API for invoices (DESIGN section 7): list and submit per order, decide and pay per invoice; and the
city's revenue-share invoices to the vendor (issued per order, paid or rejected by the vendor)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from contracts.invoices import services
from contracts.invoices.columns import INVOICE_COLUMNS
from contracts.invoices.models import DIRECTIONS, INVOICE_STATUSES, MAX_INVOICE_LINES, NUMBER_MAX, Invoice
from contracts.invoices.queries import get_invoice_or_404, order_invoices, order_invoices_stmt, revenue_summary
from contracts.observations.models import PERIOD_MAX
from contracts.orders.queries import get_order_or_404
from marketplace.api import ID, operation, wants_csv
from marketplace.csvexport import stream_scalars
from marketplace.extensions import db
from marketplace.inputs import REASON_LIMIT

api = Blueprint("invoices_api", __name__, url_prefix="/api/v1")

_MONEY_IN = {"type": "string", "maxLength": 20, "pattern": r"^\d{1,12}(\.\d{1,2})?$", "example": "1250.00"}
_MONEY_OUT = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
_DATE = {"type": "string", "format": "date", "example": "2026-11-30"}
INVOICE_IN = {
    "type": "object", "additionalProperties": False, "required": ["number", "issued_on", "amount"],
    "properties": {
        "number": {"type": "string", "minLength": 1, "maxLength": NUMBER_MAX,
                   "description": "The vendor's own invoice number"},
        "issued_on": _DATE,
        "period": {"type": "integer", "minimum": 1, "maximum": PERIOD_MAX,
                   "description": "A settled period of a performance order (or give lines)"},
        "lines": {"type": "array", "maxItems": MAX_INVOICE_LINES, "items": ID,
                  "description": "Ids of the order's lines (or give a period)"},
        "amount": _MONEY_IN,
    },
}
REVENUE_INVOICE_IN = {
    "type": "object", "additionalProperties": False, "required": ["number", "issued_on", "amount"],
    "properties": {
        "number": {"type": "string", "minLength": 1, "maxLength": NUMBER_MAX,
                   "description": "The city's own invoice number (unique between the city and the vendor)"},
        "issued_on": _DATE,
        "period": {"type": "integer", "minimum": 1, "maximum": PERIOD_MAX,
                   "description": "A period whose revenue is verified: bills the city's share of it (or give block)"},
        "block": {"type": "integer", "minimum": 1, "maximum": PERIOD_MAX,
                  "description": "A settled guarantee block: bills its true-up (or give period)"},
        "amount": _MONEY_IN,
    },
}
REASON_IN = {"type": "object", "additionalProperties": False,
             "properties": {"reason": {"type": "string", "maxLength": REASON_LIMIT}}}
PAY_IN = {"type": "object", "additionalProperties": False, "required": ["paid_on"], "properties": {"paid_on": _DATE}}
INVOICE_OUT = {
    "type": "object", "required": ["id", "order_id", "number", "issued_on", "amount", "status"],
    "properties": {
        "id": ID, "order_id": ID, "number": {"type": "string"}, "issued_on": {"type": "string"},
        "period": {"type": ["integer", "null"]}, "amount": _MONEY_OUT,
        "direction": {"type": "string", "enum": list(DIRECTIONS),
                      "description": "vendor_to_city: the vendor bills the city; city_to_vendor: the city bills "
                                     "the vendor for its revenue share"},
        "billed_by": {"type": "string"}, "billed_to": {"type": "string"},
        "block": {"type": ["integer", "null"], "description": "The guarantee block a true-up invoice is for"},
        "status": {"type": "string", "enum": list(INVOICE_STATUSES)}, "reason": {"type": ["string", "null"]},
        "lines": {"type": "array", "items": {"type": "object", "properties": {"line_id": ID, "amount": _MONEY_OUT}}},
        "submitted_by": {"type": "string"}, "decided_by": {"type": ["string", "null"]},
        "decided_at": {"type": ["string", "null"]}, "paid_on": {"type": ["string", "null"]},
    },
}
SUMMARY_OUT = {"type": "object", "properties": {k: _MONEY_OUT for k in ("invoiced", "approved", "paid", "outstanding",
                                                                         "waiting")}}
REVENUE_SUMMARY_OUT = {"type": "object", "description": "The city's revenue-share invoices to the vendor",
                       "properties": {k: _MONEY_OUT for k in ("billed", "received", "awaiting")}}


def invoice_json(invoice: Invoice) -> dict:
    return {
        "id": invoice.id, "order_id": invoice.order_id, "number": invoice.number,
        "issued_on": invoice.issued_on.isoformat(), "period": invoice.period, "amount": f"{invoice.amount:.2f}",
        "direction": invoice.direction, "billed_by": invoice.billed_by.name, "billed_to": invoice.billed_to.name,
        "block": invoice.block,
        "status": invoice.status, "reason": invoice.reason,
        "lines": [{"line_id": part.order_line_id, "amount": f"{part.amount:.2f}"} for part in invoice.lines],
        "submitted_by": invoice.submitted_by.name,
        "decided_by": invoice.decided_by.name if invoice.decided_by else None,
        "decided_at": invoice.decided_at.isoformat() if invoice.decided_at else None,
        "paid_on": invoice.paid_on.isoformat() if invoice.paid_on else None,
    }


@operation(api, "/orders/<int:order_id>/invoices", "GET", summary="Invoices of an order, with the totals",
           tag="invoices", response={"type": "object", "required": ["results", "totals", "revenue_totals"],
                                     "properties": {"results": {"type": "array", "items": INVOICE_OUT},
                                                    "totals": SUMMARY_OUT, "revenue_totals": REVENUE_SUMMARY_OUT}},
           csv=True)
def list_invoices(order_id):
    order = get_order_or_404(order_id)
    if wants_csv():
        return INVOICE_COLUMNS.response(f"{order.reference}-invoices.csv", stream_scalars(order_invoices_stmt(order)))
    summary = {key: f"{value:.2f}" for key, value in services.money_summary(order).items()}
    revenue_totals = {key: f"{value:.2f}" for key, value in revenue_summary(order).items()}
    return jsonify({"results": [invoice_json(inv) for inv in order_invoices(order)], "totals": summary,
                    "revenue_totals": revenue_totals})


@operation(api, "/orders/<int:order_id>/invoices", "POST",
           summary="Invoice a settled period or lines of an order (the vendor), for at most what is due",
           tag="invoices", body=INVOICE_IN, response=INVOICE_OUT, status=201)
def submit_invoice(order_id, data):
    invoice = services.submit_invoice(get_order_or_404(order_id), data, actor=current_user)
    db.session.commit()
    response = jsonify(invoice_json(invoice))
    response.status_code = 201
    return response


@operation(api, "/orders/<int:order_id>/revenue-invoices", "POST",
           summary="Bill the vendor for the city's revenue share of a period, or a guarantee block's true-up (the "
                   "buying city), for at most what is due", tag="invoices", body=REVENUE_INVOICE_IN,
           response=INVOICE_OUT, status=201)
def issue_revenue_invoice(order_id, data):
    invoice = services.issue_revenue_invoice(get_order_or_404(order_id), data, actor=current_user)
    db.session.commit()
    response = jsonify(invoice_json(invoice))
    response.status_code = 201
    return response


@operation(api, "/invoices/<int:invoice_id>", "GET", summary="One invoice", tag="invoices", response=INVOICE_OUT)
def get_invoice(invoice_id):
    return jsonify(invoice_json(get_invoice_or_404(invoice_id)))


@operation(api, "/invoices/<int:invoice_id>/approve", "POST", summary="Approve a submitted invoice (the city)",
           tag="invoices", body=REASON_IN, response=INVOICE_OUT)
def approve_invoice(invoice_id, data):
    invoice = services.approve_invoice(get_invoice_or_404(invoice_id), actor=current_user, reason=data.get("reason"))
    db.session.commit()
    return jsonify(invoice_json(invoice))


@operation(api, "/invoices/<int:invoice_id>/reject", "POST",
           summary="Reject a submitted invoice with a reason (who receives it: the city a vendor's invoice, the vendor "
                   "a city's revenue-share invoice); its amount can be invoiced again",
           tag="invoices", body=REASON_IN, response=INVOICE_OUT)
def reject_invoice(invoice_id, data):
    invoice = services.reject_invoice(get_invoice_or_404(invoice_id), actor=current_user, reason=data.get("reason"))
    db.session.commit()
    return jsonify(invoice_json(invoice))


@operation(api, "/invoices/<int:invoice_id>/pay", "POST",
           summary="Record a payment: the city pays a vendor's approved invoice; the vendor pays a city's "
                   "revenue-share invoice",
           tag="invoices", body=PAY_IN, response=INVOICE_OUT)
def pay_invoice(invoice_id, data):
    invoice = services.pay_invoice(get_invoice_or_404(invoice_id), actor=current_user, paid_on=data.get("paid_on"))
    db.session.commit()
    return jsonify(invoice_json(invoice))
