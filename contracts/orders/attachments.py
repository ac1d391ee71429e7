"""Orders as document owners (marketplace.documents): the signed purchase order, delivery notes. Seen by
whoever may see the order; added by the parties to it: the buying member's buyers and approvers, and the
vendor's staff once the order is theirs to see."""

from __future__ import annotations

from flask import url_for

from contracts.orders.permissions import can_view_order, is_member_staff_of, is_vendor_of
from contracts.orders.queries import get_order_or_404
from marketplace.documents.registry import Owner, register


def can_add_order_document(user, order) -> bool:
    """The order's member staff, and its vendor once approved (when the vendor can see it)."""
    return can_view_order(user, order) and (is_member_staff_of(user, order) or is_vendor_of(user, order))


OWNER = register(Owner(
    key="orders", object_type="order", noun="order",
    load=lambda order_id, user: get_order_or_404(order_id),
    can_view=can_view_order, can_add=can_add_order_document,
    page_url=lambda order: url_for("orders.order", order_id=order.id),
    name=lambda order: order.reference))
