"""JSON API for orders (DESIGN section 7), with `Idempotency-Key` on creation and submission."""

from __future__ import annotations

from flask import Blueprint, jsonify, make_response, request
from flask_login import current_user
from sqlalchemy.orm import selectinload

from catalog.listings.models import PRICING_MODELS
from contracts.orders import permissions as can
from contracts.orders import services as services
from contracts.orders.columns import ORDER_COLUMNS
from contracts.orders.documents import render_purchase_order
from contracts.orders.models import (
    MAX_LINES,
    NOTES_MAX,
    ORDER_STATUSES,
    PO_NUMBER_MAX,
    QUANTITY_TEXT_MAX,
    Order,
)
from contracts.orders.queries import get_order_or_404, in_consortium, timeline, visible_orders_stmt
from contracts.performance import TERMS_SCHEMA
from contracts.vehicles.models import Vehicle
from marketplace import idempotency
from marketplace.api import DATE, ID, MONEY, PAGE_PARAMS, operation, paginate_args, wants_csv
from marketplace.csvexport import stream_scalars
from marketplace.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import REASON_LIMIT, parse_id
from marketplace.tenancy import get_or_404

api = Blueprint("orders_api", __name__, url_prefix="/api/v1")

LINE_IN = {
    "type": "object", "additionalProperties": False, "required": ["price_item_id", "quantity"],
    "properties": {"price_item_id": ID, "quantity": {"type": "string", "maxLength": QUANTITY_TEXT_MAX, "example": "12"},
                   "unit_price": {**MONEY, "type": ["string", "null"]}},
}
ORDER_IN = {
    "type": "object", "additionalProperties": False, "required": ["vehicle_id"],
    "properties": {
        "vehicle_id": ID,
        "vendor_id": {**ID, "description": "The awarded vendor ordered from: required when the vehicle awards "
                                           "several vendors; the lines are priced from its schedule."},
        "lines": {"type": "array", "maxItems": MAX_LINES, "items": LINE_IN},
        "po_number": {"type": ["string", "null"], "maxLength": PO_NUMBER_MAX},
        "notes": {"type": ["string", "null"], "maxLength": NOTES_MAX},
        "delivery_start": {"anyOf": [DATE, {"type": "null"}]},
        "delivery_end": {"anyOf": [DATE, {"type": "null"}]},
        "performance": TERMS_SCHEMA,
        "pricing_model": {"type": ["string", "null"], "enum": [*PRICING_MODELS, None],
                          "description": "One of the pricing models the vendor's listings on the vehicle offer. "
                                         "Left out: the order keeps its model, and a new order takes the one its "
                                         "terms imply (revenue_share with a revenue-share block, as_a_service with "
                                         "other performance terms, purchase otherwise). revenue_share needs the "
                                         "revenue-share block; vendor financing is recorded with POST "
                                         "/api/v1/financing."},
    },
}
ORDER_PATCH = {**ORDER_IN, "required": []}
ORDER_PATCH["properties"] = {k: v for k, v in ORDER_IN["properties"].items() if k not in ("vehicle_id", "vendor_id")}
REASON_IN = {"type": "object", "additionalProperties": False,
             "properties": {"reason": {"type": "string", "maxLength": REASON_LIMIT}}}
ORDER_OUT = {
    "type": "object",
    "required": ["id", "status", "vehicle_id", "value", "lines", "performance", "pricing_model"],
    "properties": {
        "id": ID, "reference": {"type": "string"}, "status": {"type": "string", "enum": list(ORDER_STATUSES)},
        "vehicle_id": ID, "vehicle_number": {"type": "string"},
        "member": {"type": "object"}, "vendor": {"type": "object"},
        "lines": {"type": "array", "items": {"type": "object"}},
        "po_number": {"type": "string"}, "notes": {"type": "string"},
        "delivery_start": {"type": ["string", "null"]}, "delivery_end": {"type": ["string", "null"]},
        "performance": TERMS_SCHEMA,
        "pricing_model": {"type": "string", "enum": list(PRICING_MODELS)},
        "value": {"type": "string"}, "committed": {"type": "string"},
        "status_reason": {"type": ["string", "null"]},
        "created_by": {"type": "object"},
        "submitted_at": {"type": ["string", "null"]}, "approved_at": {"type": ["string", "null"]},
        "closed_at": {"type": ["string", "null"]}, "last_period": {"type": ["integer", "null"]},
        "accepted_at": {"type": ["string", "null"]},
        "timeline": {"type": "array", "items": {"type": "object"}},
    },
}
LIST_PARAMS = [
    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(ORDER_STATUSES)}},
    {"name": "vehicle_id", "in": "query", "schema": ID},
    *PAGE_PARAMS,
]


def _iso(value):
    return value.isoformat() if value is not None else None


def order_json(order: Order, *, with_timeline: bool = False) -> dict:
    data = {
        "id": order.id, "reference": order.reference, "status": order.status,
        "vehicle_id": order.vehicle_id, "vehicle_number": order.vehicle.number,
        "member": {"id": order.member_id, "name": order.member.name},
        "vendor": {"id": order.vendor_id, "name": order.vendor.name},
        "lines": [{"id": ln.id, "price_item_id": ln.price_item_id, "description": ln.description, "unit": ln.unit,
                   "quantity": str(ln.quantity), "unit_price": str(ln.unit_price), "total": str(ln.total)}
                  for ln in order.lines],
        "po_number": order.po_number, "notes": order.notes,
        "delivery_start": _iso(order.delivery_start), "delivery_end": _iso(order.delivery_end),
        "performance": order.performance, "pricing_model": order.pricing_model,
        "value": f"{order.value:.2f}", "committed": f"{order.committed:.2f}",
        "status_reason": order.status_reason,
        "created_by": {"id": order.created_by_id, "name": order.created_by.name},
        "submitted_at": _iso(order.submitted_at), "approved_at": _iso(order.approved_at),
        "accepted_at": _iso(order.accepted_at), "closed_at": _iso(order.closed_at),
        "last_period": order.last_period,
    }
    if with_timeline:
        events, actors = timeline(order)
        data["timeline"] = [{"at": e.created_at.isoformat(), "action": e.action, "reason": e.reason,
                             "by": actors[e.actor_id].name if e.actor_id in actors else None} for e in events]
    return data




@operation(api, "/orders", "GET", summary="Orders visible to the user (member's, vendor's, or all for admins)",
           tag="orders", query=LIST_PARAMS, csv=True,
           response={"type": "object", "required": ["results", "total"],
                     "properties": {"results": {"type": "array", "items": ORDER_OUT}, "total": {"type": "integer"}}})
def list_orders():
    in_consortium()
    page, per_page = paginate_args()
    stmt = visible_orders_stmt(current_user)
    status = request.args.get("status")
    if status:
        if status not in ORDER_STATUSES:
            raise ValidationFailed("Invalid filter.", {"status": "Unknown status."})
        stmt = stmt.where(Order.status == status)
    vehicle_id = request.args.get("vehicle_id")
    if vehicle_id:
        if parse_id(vehicle_id) is None:
            raise ValidationFailed("Invalid filter.", {"vehicle_id": "Must be the id of a vehicle."})
        stmt = stmt.where(Order.vehicle_id == parse_id(vehicle_id))
    if wants_csv():
        return ORDER_COLUMNS.response("orders.csv", stream_scalars(stmt.options(
            selectinload(Order.vehicle), selectinload(Order.member), selectinload(Order.vendor),
            selectinload(Order.created_by)).order_by(Order.id.desc())))
    total = db.session.scalar(stmt.with_only_columns(db.func.count(Order.id)).order_by(None))
    orders = db.session.scalars(
        stmt.options(selectinload(Order.lines), selectinload(Order.vehicle), selectinload(Order.member),
                     selectinload(Order.vendor), selectinload(Order.created_by))
        .order_by(Order.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    return jsonify({"results": [order_json(o) for o in orders], "total": total})


@operation(api, "/orders", "POST", summary="Draft an order under a vehicle (Idempotency-Key supported)",
           tag="orders", body=ORDER_IN, response=ORDER_OUT, status=201, errors=(400, 401, 403, 404, 409, 422))
def create_order(data):
    in_consortium()
    key = idempotency.idempotency_key()
    replay = idempotency.replayed("orders.create", key, data)
    if replay is not None:
        return replay
    vehicle = get_or_404(Vehicle, data["vehicle_id"])
    if vehicle.status == "draft" and current_user.role != "admin":
        raise NotFound("No such vehicle.")
    if not can.can_create_orders(current_user):
        raise PermissionDenied("Only buyers and approvers of member cities place orders.")
    order = services.create_order(vehicle=vehicle, data=data, actor=current_user)
    return idempotency.respond("orders.create", key, data, order_json(order), 201)


@operation(api, "/orders/<int:order_id>", "GET", summary="One order with its timeline", tag="orders",
           response=ORDER_OUT)
def get_order(order_id):
    return jsonify(order_json(get_order_or_404(order_id), with_timeline=True))


@operation(api, "/orders/<int:order_id>", "PATCH", summary="Edit a draft order", tag="orders", body=ORDER_PATCH,
           response=ORDER_OUT)
def patch_order(order_id, data):
    order = get_order_or_404(order_id)
    if not can.can_edit_order(current_user, order):
        raise PermissionDenied("Only the member's buyers and approvers edit a draft order.")
    current = {"lines": [{"price_item_id": ln.price_item_id, "quantity": str(ln.quantity),
                          "unit_price": str(ln.unit_price)} for ln in order.lines],
               "po_number": order.po_number, "notes": order.notes,
               "delivery_start": _iso(order.delivery_start), "delivery_end": _iso(order.delivery_end),
               "performance": order.performance}
    services.update_order(order, {**current, **data}, actor=current_user)
    db.session.commit()
    return jsonify(order_json(order))


@operation(api, "/orders/<int:order_id>/submit", "POST",
           summary="Submit: commit the value against the vehicle ceiling and participation limit (Idempotency-Key)",
           tag="orders", body=REASON_IN, response=ORDER_OUT, errors=(400, 401, 403, 404, 409, 422))
def submit_order(order_id, data):
    key = idempotency.idempotency_key()
    scope = f"orders.{order_id}.submit"
    if key is not None and current_user.is_authenticated:
        replay = idempotency.replayed(scope, key, data)
        if replay is not None:
            return replay
    order = services.submit_order(get_order_or_404(order_id), actor=current_user)
    return idempotency.respond(scope, key, data, order_json(order), 200)


def _transition(order_id: int, data: dict, action):
    order = get_order_or_404(order_id)
    # The lifecycle answers a wrong actor with 403, and a step the order's state no longer allows (say, a
    # request that lost a race) with 409 and what happened.
    order = action(order, actor=current_user, reason=data.get("reason"))
    db.session.commit()
    return jsonify(order_json(order))


def _register(name: str, summary: str, action):
    def view(order_id, data):
        return _transition(order_id, data, action)

    view.__name__ = f"{name}_order"
    operation(api, f"/orders/<int:order_id>/{name}", "POST", summary=summary, tag="orders", body=REASON_IN,
              response=ORDER_OUT)(view)


_register("approve", "Approve an order above the member's limit (the member's approver, not its author)",
          services.approve_order)
_register("decline", "Decline with a reason: the approver a pending order, or the vendor an approved one",
          services.decline_order)
_register("accept", "Accept an approved order (vendor): it becomes active", services.accept_order)
_register("cancel", "Cancel an order that is not yet active (member); the commitment is released",
          services.cancel_order)
_register("complete", "Close out an order (member): every holdback window and invoice decided; the commitment "
          "is trimmed to what was payable and the rest given back to the ceiling", services.complete_order)
_register("terminate", "End an active order early with a reason (the member's approver or the office): periods "
          "not yet started never run; the commitment is trimmed", services.terminate_order)


@operation(api, "/orders/<int:order_id>/po.pdf", "GET", summary="The purchase order as a PDF", tag="orders",
           content_type="application/pdf")
def purchase_order_pdf(order_id):
    order = get_order_or_404(order_id)
    if order.approved_at is None:
        raise Conflict("A purchase order exists once the order is approved.")
    response = make_response(render_purchase_order(order))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{order.reference}.pdf"'
    return response
