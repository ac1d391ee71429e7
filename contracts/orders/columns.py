"""The CSV columns of an order, declared once for the orders page's export and the API's CSV answer."""

from __future__ import annotations

from marketplace.csvexport import Columns

ORDER_COLUMNS = Columns(
    ("reference", lambda o: o.reference),
    ("po_number", lambda o: o.po_number),
    ("vehicle", lambda o: o.vehicle.number),
    ("member", lambda o: o.member.name),
    ("vendor", lambda o: o.vendor.name),
    ("status", lambda o: o.status),
    ("pricing_model", lambda o: o.pricing_model),
    ("value", lambda o: o.value),
    ("committed", lambda o: o.committed),
    ("delivery_start", lambda o: o.delivery_start),
    ("delivery_end", lambda o: o.delivery_end),
    ("created_by", lambda o: o.created_by.name),
    ("submitted_at", lambda o: o.submitted_at),
    ("approved_at", lambda o: o.approved_at),
    ("accepted_at", lambda o: o.accepted_at),
    ("closed_at", lambda o: o.closed_at),
    ("updated_at", lambda o: o.updated_at),
)
