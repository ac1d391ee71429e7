"""Who may see and act on orders (each answers for the current consortium)."""

from __future__ import annotations

from consortium.context import belongs

OPEN_FOR_CANCEL = ("draft", "submitted", "pending_approval", "approved")


def _member_staff_of(user, order) -> bool:
    return belongs(user) and user.role in ("buyer", "approver") and user.organization_id == order.member_id


def _vendor_of(user, order) -> bool:
    return belongs(user) and user.role == "vendor" and user.organization_id == order.vendor_id


def is_admin(user) -> bool:
    return belongs(user) and user.role == "admin"


def can_view_order(user, order) -> bool:
    """The buying member, the consortium's admins, and the vendor once the order is approved."""
    if _member_staff_of(user, order) or is_admin(user):
        return True
    return _vendor_of(user, order) and order.approved_at is not None


def can_edit_order(user, order) -> bool:
    return _member_staff_of(user, order) and order.status == "draft"


def can_submit_order(user, order) -> bool:
    return _member_staff_of(user, order) and order.status == "draft"


def can_approve_order(user, order) -> bool:
    """The member's approver (champion) — never for an order they created themselves."""
    return (_member_staff_of(user, order) and user.role == "approver" and order.status == "pending_approval"
            and order.created_by_id != user.id)


def can_accept_order(user, order) -> bool:
    return _vendor_of(user, order) and order.status == "approved"


def can_decline_order(user, order) -> bool:
    return can_approve_order(user, order) or can_accept_order(user, order)


def can_cancel_order(user, order) -> bool:
    return _member_staff_of(user, order) and order.status in OPEN_FOR_CANCEL


def can_complete_order(user, order) -> bool:
    return _member_staff_of(user, order) and order.status == "active"


def can_create_orders(user) -> bool:
    return belongs(user) and user.role in ("buyer", "approver")


def can_report_observation(user, order) -> bool:
    return _vendor_of(user, order) and order.status == "active"


def can_verify_observation(user, order) -> bool:
    return _member_staff_of(user, order) and order.status in ("active", "completed")
