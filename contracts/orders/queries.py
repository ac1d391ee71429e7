"""Which orders a person may see, the order loader every page and API call uses, and the timeline."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from consortium.context import belongs, current_consortium
from consortium.models import User
from contracts.orders import permissions as can
from contracts.orders import services
from contracts.orders.forms import ReasonForm
from contracts.orders.models import Order
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.tenancy import get_or_404


def visible_orders_stmt(user):
    """Orders the user may see: their member's, their vendor's once approved, or all for admins."""
    stmt = select(Order)
    if user.role in ("buyer", "approver"):
        stmt = stmt.where(Order.member_id == user.organization_id)
    elif user.role == "vendor":
        stmt = stmt.where(Order.vendor_id == user.organization_id, Order.approved_at.is_not(None))
    return stmt


def get_order_or_404(order_id: int) -> Order:
    """The order, for the signed-in person of the current consortium who may see it; 401 for nobody
    signed in, 404 for everyone else (no enumeration)."""
    if not current_user.is_authenticated:
        abort(401)
    if current_consortium() is None or not belongs(current_user):
        abort(404)
    order = get_or_404(Order, order_id)
    if not can.can_view_order(current_user, order):
        abort(404)
    return order


def timeline(order: Order) -> tuple[list[AuditEvent], dict[int, User]]:
    """The order's audit events, oldest first, and the people who caused them."""
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "order", AuditEvent.object_id == order.id)
        .order_by(AuditEvent.created_at, AuditEvent.id)).all()
    ids = {e.actor_id for e in events if e.actor_id}
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return events, actors


def in_consortium() -> None:
    """API calls about orders need a consortium the caller works in (404 otherwise)."""
    if current_consortium() is None or not belongs(current_user):
        abort(404)


# Callables (order) -> Markup that add a panel to the order page; the observations feature registers
# the performance panel here (so neither feature's views import the other's).
ORDER_PANELS: list = []


def order_page_context(order: Order) -> dict:
    """What the order page shows; other features (performance and settlement) add to it."""
    events, actors = timeline(order)
    return {
        "order": order, "events": events, "actors": actors, "reason_form": ReasonForm(),
        "can": {"edit": can.can_edit_order(current_user, order),
                **{step: services.ORDER_LIFECYCLE.may(step, current_user, order)
                   for step in ("submit", "approve", "decline", "accept", "cancel", "complete")}},
        "created_by_self": order.created_by_id == current_user.id,
        "panels": [panel(order) for panel in ORDER_PANELS],
    }
