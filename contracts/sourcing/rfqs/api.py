"""JSON API for RFQs (DESIGN section 7): issue under a vehicle, read, quote, close, award, cancel.

The request schemas read their limits from `contracts.sourcing.rfqs.models`; what a caller sees of the quotes
is `queries.sealed_view`'s (the count for the member and the office, every quote for them only after the
close, a vendor its own alone).
"""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from consortium.context import belongs, consortium_or_404
from contracts.orders.models import QUANTITY_TEXT_MAX
from contracts.sourcing.rfqs import queries, services
from contracts.sourcing.rfqs.models import (
    DESCRIPTION_MAX,
    EVALUATIONS,
    LINE_NAME_MAX,
    LINE_UNIT_MAX,
    LINES_MAX,
    NOTE_MAX,
    RFQ_STATUSES,
    TITLE_MAX,
    Quote,
    Rfq,
)
from contracts.vehicles.queries import visible_vehicle_or_404
from marketplace.api import DATETIME, ID, POSITIVE_MONEY, created, operation
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.inputs import REASON_LIMIT

api = Blueprint("rfqs_api", __name__, url_prefix="/api/v1")

_ORG = {"type": "object", "required": ["id", "name"], "properties": {"id": ID, "name": {"type": "string"}}}
_QUANTITY = {"type": "string", "maxLength": QUANTITY_TEXT_MAX, "example": "300"}
RFQ_LINE_IN = {"type": "object", "additionalProperties": False, "required": ["name", "unit", "quantity"],
               "properties": {"name": {"type": "string", "maxLength": LINE_NAME_MAX, "example": "Sensor service"},
                              "unit": {"type": "string", "maxLength": LINE_UNIT_MAX, "example": "per space per month"},
                              "quantity": _QUANTITY}}
RFQ_IN = {
    "type": "object", "additionalProperties": False, "required": ["title", "lines", "closes_at", "evaluation"],
    "properties": {
        "title": {"type": "string", "maxLength": TITLE_MAX},
        "description": {"type": "string", "maxLength": DESCRIPTION_MAX},
        "lines": {"type": "array", "minItems": 1, "maxItems": LINES_MAX, "items": RFQ_LINE_IN},
        "closes_at": {"type": "string", "maxLength": 40, "example": "2027-04-01T17:00",
                      "description": "When quotes close: a date and time (without an offset: in the consortium's "
                                     "time zone), or a date (the end of that day). In the future, within a year, "
                                     "before the vehicle ends."},
        "evaluation": {"type": "string", "enum": list(EVALUATIONS)},
    },
    "description": "Under a vehicle that awards several vendors, by a member that may buy under it.",
}
QUOTE_LINE_IN = {
    "type": "object", "additionalProperties": False, "required": ["price_item_id", "unit_price"],
    "properties": {"price_item_id": {**ID, "description": "A price item of your own schedule under the vehicle."},
                   "quantity": {**_QUANTITY, "description": "Optional: the RFQ line's quantity."},
                   "unit_price": {**POSITIVE_MONEY, "description": "At most your contract price for the item."}},
}
QUOTE_IN = {
    "type": "object", "additionalProperties": False, "required": ["lines"],
    "properties": {"lines": {"type": "array", "maxItems": LINES_MAX, "items": QUOTE_LINE_IN,
                             "description": "One per RFQ line, in the RFQ's order: line N prices RFQ line N."},
                   "note": {"type": "string", "maxLength": NOTE_MAX}},
    "description": "Replaces your earlier quote until the close; 409 once quotes have closed.",
}
AWARD_IN = {"type": "object", "additionalProperties": False, "required": ["quote_id"],
            "properties": {"quote_id": ID, "justification": {"type": "string", "maxLength": REASON_LIMIT}},
            "description": "A justification is required for anything but the lowest total, or with fewer than "
                           "three quotes."}
REASON_REQUIRED_IN = {"type": "object", "additionalProperties": False, "required": ["reason"],
                      "properties": {"reason": {"type": "string", "maxLength": REASON_LIMIT}}}
QUOTE_OUT = {
    "type": "object", "required": ["id", "vendor", "total", "lines"],
    "properties": {
        "id": ID, "vendor": _ORG, "total": {"type": "string"}, "note": {"type": "string"},
        "version": {"type": "integer"}, "submitted_at": DATETIME, "is_lowest": {"type": ["boolean", "null"]},
        "lines": {"type": "array", "items": {"type": "object", "properties": {
            "rfq_line_id": ID, "price_item_id": ID, "name": {"type": "string"}, "unit": {"type": "string"},
            "quantity": {"type": "string"}, "unit_price": {"type": "string"}, "contract_price": {"type": "string"},
            "total": {"type": "string"}}}},
    },
}
RFQ_OUT = {
    "type": "object",
    "required": ["id", "status", "title", "vehicle", "member", "lines", "closes_at", "evaluation", "quote_count",
                 "quotes", "awarded_quote_id", "order_id"],
    "properties": {
        "id": ID, "reference": {"type": "string"}, "status": {"type": "string", "enum": list(RFQ_STATUSES)},
        "title": {"type": "string"}, "description": {"type": "string"},
        "vehicle": {"type": "object", "properties": {"id": ID, "number": {"type": "string"},
                                                     "title": {"type": "string"}}},
        "member": _ORG, "created_by": _ORG, "vendors": {"type": "array", "items": _ORG},
        "lines": {"type": "array", "items": {"type": "object", "properties": {
            "id": ID, "name": {"type": "string"}, "unit": {"type": "string"}, "quantity": {"type": "string"}}}},
        "closes_at": DATETIME, "closed_at": {"oneOf": [DATETIME, {"type": "null"}]},
        "evaluation": {"type": "string", "enum": list(EVALUATIONS)},
        "quote_count": {"type": ["integer", "null"],
                        "description": "How many quotes arrived: for the member and the office (null for vendors)."},
        "quotes": {"oneOf": [{"type": "array", "items": QUOTE_OUT}, {"type": "null"}],
                   "description": "Every quote: only after the close, and only to the member and the office."},
        "my_quote": {"oneOf": [QUOTE_OUT, {"type": "null"}], "description": "A vendor's own quote."},
        "awarded_quote_id": {"oneOf": [ID, {"type": "null"}]},
        "awarded_vendor": {"oneOf": [_ORG, {"type": "null"}]},
        "order_id": {"oneOf": [ID, {"type": "null"}], "description": "The draft order the award made."},
        "justification": {"type": ["string", "null"]}, "status_reason": {"type": ["string", "null"]},
    },
}


def _org(org) -> dict:
    return {"id": org.id, "name": org.name}


def quote_json(quote: Quote, lowest=None) -> dict:
    return {
        "id": quote.id, "vendor": _org(quote.vendor), "total": str(quote.total), "note": quote.note,
        "version": quote.version, "submitted_at": quote.updated_at.isoformat(),
        "is_lowest": None if lowest is None else quote.total == lowest,
        "lines": [{"rfq_line_id": ln.rfq_line_id, "price_item_id": ln.price_item_id, "name": ln.price_item.name,
                   "unit": ln.price_item.unit, "quantity": str(ln.quantity), "unit_price": str(ln.unit_price),
                   "contract_price": str(ln.schedule_item.contract_price), "total": str(ln.total)}
                  for ln in quote.lines],
    }


def rfq_json(rfq: Rfq, user) -> dict:
    """The RFQ as `user` may see it (sealing: `queries.sealed_view`)."""
    view = queries.sealed_view(rfq, user)
    lowest = min((q.total for q in view.quotes), default=None)
    awarded = rfq.awarded_quote
    return {
        "id": rfq.id, "reference": rfq.reference, "status": rfq.status, "title": rfq.title,
        "description": rfq.description,
        "vehicle": {"id": rfq.vehicle.id, "number": rfq.vehicle.number, "title": rfq.vehicle.title},
        "member": _org(rfq.member), "created_by": _org(rfq.created_by),
        "vendors": [_org(award.vendor) for award in rfq.vehicle.awards],
        "lines": [{"id": ln.id, "name": ln.name, "unit": ln.unit, "quantity": str(ln.quantity)} for ln in rfq.lines],
        "closes_at": rfq.closes_at.isoformat(), "closed_at": rfq.closed_at.isoformat() if rfq.closed_at else None,
        "evaluation": rfq.evaluation, "quote_count": view.count,
        "quotes": [quote_json(q, lowest) for q in view.quotes] if view.can_compare else None,
        "my_quote": quote_json(view.own) if view.own is not None else None,
        # Who won is public to those who may see the RFQ once awarded; the amounts stay with the quotes.
        "awarded_quote_id": awarded.id if awarded is not None and (view.can_compare or view.own is awarded) else None,
        "awarded_vendor": _org(rfq.awarded_vendor) if rfq.awarded_vendor else None,
        "order_id": rfq.order_id if view.count is not None else None,
        "justification": rfq.justification if view.count is not None else None,
        "status_reason": rfq.status_reason,
    }


def _visible(rfq_id: int) -> Rfq:
    consortium_or_404()
    return queries.visible_rfq_or_404(rfq_id, current_user)


def _answer(rfq: Rfq, status: int = 200):
    return created(rfq_json(queries.get_rfq_or_404(rfq.id), current_user), status)


@operation(api, "/vehicles/<int:vehicle_id>/rfqs", "POST", summary="Issue a request for quotes to every vendor "
           "awarded on a multi-award vehicle (buyers and approvers of a member that may buy under it)",
           tag="rfqs", body=RFQ_IN, response=RFQ_OUT, status=201)
def issue_rfq(vehicle_id, data):
    consortium_or_404()
    if not belongs(current_user):
        raise NotFound("Not found.")  # an active vehicle is public, but strangers cannot act on it
    vehicle = visible_vehicle_or_404(vehicle_id, current_user, detail=True)
    rfq = services.issue_rfq(vehicle, data, actor=current_user)
    db.session.commit()
    return _answer(rfq, 201)


@operation(api, "/rfqs/<int:rfq_id>", "GET", summary="An RFQ: the count of quotes for the member and the office "
           "before the close, every quote after it; a vendor sees only its own", tag="rfqs", response=RFQ_OUT)
def get_rfq(rfq_id):
    return _answer(_visible(rfq_id))


@operation(api, "/rfqs/<int:rfq_id>/quotes", "POST", summary="Quote, or replace your quote, before the close "
           "(an awarded vendor; unit prices at most your contract prices; 409 when late)", tag="rfqs",
           body=QUOTE_IN, response=RFQ_OUT, status=201)
def submit_quote(rfq_id, data):
    _, is_new = services.submit_quote(_visible(rfq_id), data, actor=current_user)
    db.session.commit()
    return _answer(queries.get_rfq_or_404(rfq_id), 201 if is_new else 200)


@operation(api, "/rfqs/<int:rfq_id>/close", "POST", summary="Open the quotes once they have closed (the member; "
           "409 before the closing time)", tag="rfqs", response=RFQ_OUT)
def close_rfq(rfq_id, data):
    rfq = services.close_rfq(_visible(rfq_id), actor=current_user)
    db.session.commit()
    return _answer(rfq)


@operation(api, "/rfqs/<int:rfq_id>/award", "POST", summary="Award a quote: a draft order for the member at the "
           "quoted prices (the issuer or a member approver)", tag="rfqs", body=AWARD_IN, response=RFQ_OUT)
def award_rfq(rfq_id, data):
    rfq = services.award_rfq(_visible(rfq_id), data, actor=current_user)
    db.session.commit()
    return _answer(rfq)


@operation(api, "/rfqs/<int:rfq_id>/cancel", "POST", summary="Cancel an open or closed RFQ, with the reason the "
           "vendors see (the member)", tag="rfqs", body=REASON_REQUIRED_IN, response=RFQ_OUT)
def cancel_rfq(rfq_id, data):
    rfq = services.cancel_rfq(_visible(rfq_id), actor=current_user, reason=data.get("reason"))
    db.session.commit()
    return _answer(rfq)
