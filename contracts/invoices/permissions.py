"""Who may invoice, decide and pay: one pure predicate per action.

The vendor invoices the city for its work; the buying city decides and pays. The other way round, for a
revenue share, the buying city invoices the vendor for its share and true-ups; the vendor pays (recording its
payment) or rejects the invoice with a reason. Views ask `INVOICE_LIFECYCLE.may(step, user, invoice)`, which
applies these and the states, so a page shows exactly the actions the server accepts.
"""

from __future__ import annotations

from contracts.orders.permissions import can_view_order, is_member_staff_of, is_vendor_of

# The order states in which the vendor may invoice: once accepted, and after closeout for what was earned.
# The city bills its revenue share in the same states.
INVOICING_ORDER_STATES = ("active", "completed", "terminated")


def _revenue_share(invoice) -> bool:
    return invoice.direction == "city_to_vendor"


def can_view_invoice(user, invoice) -> bool:
    """Whoever may see the order sees its invoices."""
    return can_view_order(user, invoice.order)


def can_submit_invoice(user, order) -> bool:
    """The order's vendor, once it accepted the order."""
    return is_vendor_of(user, order) and order.status in INVOICING_ORDER_STATES


def can_issue_revenue_invoice(user, order) -> bool:
    """The buying member's buyers and approvers bill the vendor for the city's revenue share, once the order
    with a revenue share is accepted."""
    return (is_member_staff_of(user, order) and order.status in INVOICING_ORDER_STATES
            and bool((order.performance or {}).get("revenue_share")))


def can_decide_invoice(user, invoice) -> bool:
    """The buying member's buyers and approvers approve a vendor's invoice (a city's own invoice is not
    approved: the vendor pays it or rejects it)."""
    return not _revenue_share(invoice) and is_member_staff_of(user, invoice.order)


def can_reject_invoice(user, invoice) -> bool:
    """Who receives an invoice may reject it: the buying member's staff a vendor's invoice, the vendor a city's
    revenue-share invoice."""
    if _revenue_share(invoice):
        return is_vendor_of(user, invoice.order)
    return is_member_staff_of(user, invoice.order)


def can_pay_invoice(user, invoice) -> bool:
    """The buying member's buyers and approvers record the payment of an approved invoice of the vendor."""
    return not _revenue_share(invoice) and is_member_staff_of(user, invoice.order)


def can_record_revenue_payment(user, invoice) -> bool:
    """The order's vendor records that it paid the city's revenue-share invoice."""
    return _revenue_share(invoice) and is_vendor_of(user, invoice.order)
