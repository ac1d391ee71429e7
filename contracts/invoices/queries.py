"""Loading invoices for pages and the API alike: visible only to those who may see their order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from contracts.invoices.models import Invoice
from contracts.orders.models import Order
from contracts.orders.queries import get_order_or_404
from marketplace.extensions import db
from marketplace.tenancy import get_or_404


def get_invoice_or_404(invoice_id: int) -> Invoice:
    """The invoice, for someone who may see its order (401 for nobody signed in, 404 otherwise)."""
    invoice = get_or_404(Invoice, invoice_id)
    get_order_or_404(invoice.order_id)
    return invoice


def order_invoices(order: Order) -> list[Invoice]:
    """The order's invoices, oldest first, with the people and lines the pages show."""
    return list(db.session.scalars(
        select(Invoice).where(Invoice.order_id == order.id)
        .options(selectinload(Invoice.lines), selectinload(Invoice.submitted_by), selectinload(Invoice.decided_by))
        .order_by(Invoice.issued_on, Invoice.id)))
