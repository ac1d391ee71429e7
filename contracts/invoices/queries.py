"""Loading invoices for pages and the API alike: visible only to those who may see their order."""

from __future__ import annotations

from decimal import Decimal

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from contracts.invoices.models import CITY_TO_VENDOR, COUNTED_STATUSES, Invoice
from contracts.invoices.services import CITY_BILLS, INVOICE_LIFECYCLE
from contracts.observations.services import order_terms, period_label
from contracts.orders.models import Order
from contracts.orders.queries import get_order_or_404, order_title
from marketplace.extensions import db
from marketplace.formats import money
from marketplace.numbers import to_cents
from marketplace.queue import QueueItem, provider
from marketplace.tenancy import get_or_404


def get_invoice_or_404(invoice_id: int) -> Invoice:
    """The invoice, for someone who may see its order (401 for nobody signed in, 404 otherwise)."""
    invoice = get_or_404(Invoice, invoice_id)
    get_order_or_404(invoice.order_id)
    return invoice


def order_invoices(order: Order) -> list[Invoice]:
    """The order's invoices, oldest first, with the people and lines the pages show."""
    return list(db.session.scalars(order_invoices_stmt(order)))


def order_invoices_stmt(order: Order):
    """The statement of the order's invoices, oldest first (the pages, the API and the CSV exports)."""
    return (select(Invoice).where(Invoice.order_id == order.id)
            .options(selectinload(Invoice.lines), selectinload(Invoice.submitted_by),
                     selectinload(Invoice.decided_by))
            .order_by(Invoice.issued_on, Invoice.id))


# --- the city's revenue-share invoices ---------------------------------------------------------------


def revenue_summary(order: Order) -> dict[str, Decimal]:
    """The city's revenue-share invoices: billed (all but rejected), received (paid), awaiting payment."""
    rows = dict(db.session.execute(select(Invoice.status, func.sum(Invoice.amount))
                                   .where(Invoice.order_id == order.id, CITY_BILLS)
                                   .group_by(Invoice.status)).all())
    amount = {status: to_cents(Decimal(rows.get(status) or 0)) for status in COUNTED_STATUSES}
    return {"billed": amount["submitted"] + amount["approved"] + amount["paid"], "received": amount["paid"],
            "awaiting": amount["submitted"] + amount["approved"]}


def revenue_label(invoice: Invoice) -> str:
    """What a city's invoice bills: "City share of Period 2 (Apr–Jun 2025)", "True-up of guarantee block 1"."""
    if invoice.block is not None:
        return f"True-up of guarantee block {invoice.block}"
    terms = order_terms(invoice.order)
    return f"City share of {period_label(terms, invoice.period) if terms else f'period {invoice.period}'}"


# --- the work queue (marketplace.queue) ------------------------------------------------------------


@provider
def invoices_waiting(user, consortium) -> list[QueueItem]:
    """Submitted invoices wait for the buying city to approve or reject them; approved ones for it to record
    the payment. One query, whatever the number of invoices; who may act is the lifecycle's rule."""
    rows = db.session.scalars(
        select(Invoice).join(Invoice.order).join(Invoice.vendor)
        .where(Invoice.consortium_id == consortium.id, Invoice.status.in_(("submitted", "approved")),
               Order.member_id == user.organization_id, Invoice.direction != CITY_TO_VENDOR)
        .options(contains_eager(Invoice.order).joinedload(Order.member), contains_eager(Invoice.vendor))).all()
    items = []
    for invoice in rows:
        title = (f"Invoice {invoice.number} from {invoice.vendor.name}, {money(invoice.amount)} — "
                 f"{order_title(invoice.order)}")
        url = url_for("invoices.invoice", consortium_slug=consortium.slug, invoice_id=invoice.id)
        if INVOICE_LIFECYCLE.may("approve", user, invoice):
            items.append(QueueItem("approve_invoice", title, "Approve or reject the invoice", "invoice", invoice.id,
                                   url, invoice.created_at))
        elif INVOICE_LIFECYCLE.may("pay", user, invoice):
            items.append(QueueItem("pay_invoice", title, "Record the payment of the approved invoice", "invoice",
                                   invoice.id, url, invoice.decided_at or invoice.created_at))
    return items


@provider
def revenue_invoices_to_pay(user, consortium) -> list[QueueItem]:
    """The city's revenue-share invoices wait for the vendor to pay them (or reject them). One query."""
    rows = db.session.scalars(
        select(Invoice).join(Invoice.order)
        .where(Invoice.consortium_id == consortium.id, Invoice.direction == CITY_TO_VENDOR,
               Invoice.status == "submitted", Invoice.vendor_id == user.organization_id)
        .options(contains_eager(Invoice.order).joinedload(Order.member))).all()
    items = []
    for invoice in rows:
        if not INVOICE_LIFECYCLE.may("record_payment", user, invoice):
            continue
        title = (f"Invoice {invoice.number} from {invoice.order.member.name} (revenue share), "
                 f"{money(invoice.amount)} — {order_title(invoice.order)}")
        url = url_for("invoices.invoice", consortium_slug=consortium.slug, invoice_id=invoice.id)
        items.append(QueueItem("pay_revenue_invoice", title, "Pay the city's invoice and record the payment",
                               "invoice", invoice.id, url, invoice.created_at))
    return items
