"""Who may see and act on orders: one pure predicate per action (each answers for the current consortium).

The lifecycle table in `contracts.orders.services` pairs each step with its predicate and the states it
starts from; views and templates ask `ORDER_LIFECYCLE.may(step, user, order)`, which applies both, so the
page shows exactly the actions the server will accept.
"""

from __future__ import annotations

from consortium.context import belongs
from consortium.permissions import is_office_of, signed_in

# The object-level rules name the order's own organizations, so they answer the same in a request, a CLI
# command or the demo loader (no "current consortium" needed).


def is_member_staff_of(user, order) -> bool:
    """A buyer or approver of the order's member city."""
    return signed_in(user) and user.role in ("buyer", "approver") and user.organization_id == order.member_id


def is_vendor_of(user, order) -> bool:
    """Staff of the order's vendor."""
    return signed_in(user) and user.role == "vendor" and user.organization_id == order.vendor_id


def can_view_order(user, order) -> bool:
    """The buying member, the consortium's admins, and the vendor once the order is approved."""
    if is_member_staff_of(user, order) or is_office_of(user, order.consortium_id):
        return True
    return is_vendor_of(user, order) and order.approved_at is not None


def can_create_orders(user) -> bool:
    """Buyers and approvers of the current consortium's member cities place orders (for pages and menus)."""
    return belongs(user) and user.role in ("buyer", "approver")


def can_order_under(user, vehicle) -> bool:
    """Buyers and approvers of a member city of the vehicle's consortium draft orders under it (whether
    their city may buy under this vehicle is the business rule `check_can_buy`)."""
    return (signed_in(user) and user.role in ("buyer", "approver") and user.organization.kind == "member"
            and user.organization.consortium_id == vehicle.consortium_id)


def can_edit_order(user, order) -> bool:
    """The member's buyers and approvers edit a draft."""
    return is_member_staff_of(user, order) and order.status == "draft"


def can_submit_order(user, order) -> bool:
    """The member's buyers and approvers submit it."""
    return is_member_staff_of(user, order)


def can_approve_order(user, order) -> bool:
    """The member's approver (champion), never for an order they created themselves."""
    return is_member_staff_of(user, order) and user.role == "approver" and order.created_by_id != user.id


def can_accept_order(user, order) -> bool:
    """The vendor accepts (or declines) an approved order."""
    return is_vendor_of(user, order)


def can_decline_order(user, order) -> bool:
    """Pending approval: the member's approver (not the author); approved: the vendor."""
    if order.status == "approved":
        return can_accept_order(user, order)
    return can_approve_order(user, order)


def can_cancel_order(user, order) -> bool:
    """The member's buyers and approvers, until the vendor has accepted it."""
    return is_member_staff_of(user, order)


def can_complete_order(user, order) -> bool:
    """The member's buyers and approvers close an order out (once nothing is open)."""
    return is_member_staff_of(user, order)


def can_terminate_order(user, order) -> bool:
    """The member's approver, or the consortium office, ends an order early (with a reason)."""
    approver = is_member_staff_of(user, order) and user.role == "approver"
    return approver or is_office_of(user, order.consortium_id)


def can_route_order(user, order) -> bool:
    """The automatic step after a submission (approved within the limit, or waiting for the approver) is
    taken for the person who submitted it."""
    return is_member_staff_of(user, order)
