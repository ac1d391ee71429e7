"""Who may invoice, decide and pay: one pure predicate per action.

The vendor invoices; the buying city decides and pays. Views ask `INVOICE_LIFECYCLE.may(step, user,
invoice)`, which applies these and the states, so a page shows exactly the actions the server accepts.
"""

from __future__ import annotations

from contracts.orders.permissions import can_view_order, is_member_staff_of, is_vendor_of

# The order states in which the vendor may invoice: once accepted, and after closeout for what was earned.
INVOICING_ORDER_STATES = ("active", "completed", "terminated")


def can_view_invoice(user, invoice) -> bool:
    """Whoever may see the order sees its invoices."""
    return can_view_order(user, invoice.order)


def can_submit_invoice(user, order) -> bool:
    """The order's vendor, once it accepted the order."""
    return is_vendor_of(user, order) and order.status in INVOICING_ORDER_STATES


def can_decide_invoice(user, invoice) -> bool:
    """The buying member's buyers and approvers approve or reject an invoice."""
    return is_member_staff_of(user, invoice.order)


def can_pay_invoice(user, invoice) -> bool:
    """The buying member's buyers and approvers record the payment of an approved invoice."""
    return is_member_staff_of(user, invoice.order)
