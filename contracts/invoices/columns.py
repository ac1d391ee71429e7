"""The CSV columns of an invoice, declared once for the order page's export and the API's CSV answer."""

from __future__ import annotations

from marketplace.csvexport import Columns

INVOICE_COLUMNS = Columns(
    ("number", lambda i: i.number),
    ("order", lambda i: i.order.reference),
    ("direction", lambda i: i.direction),
    ("billed_by", lambda i: i.billed_by.name),
    ("billed_to", lambda i: i.billed_to.name),
    ("period", lambda i: i.period),
    ("block", lambda i: i.block),
    ("issued_on", lambda i: i.issued_on),
    ("amount", lambda i: i.amount),
    ("status", lambda i: i.status),
    ("reason", lambda i: i.reason),
    ("submitted_by", lambda i: i.submitted_by.name),
    ("decided_by", lambda i: i.decided_by.name if i.decided_by else None),
    ("decided_at", lambda i: i.decided_at),
    ("paid_on", lambda i: i.paid_on),
)
