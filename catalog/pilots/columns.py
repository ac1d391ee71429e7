"""The CSV columns of a pilot, declared once for the library's export and the API's CSV answer."""

from __future__ import annotations

from marketplace.csvexport import Columns

PILOT_COLUMNS = Columns(
    ("id", lambda p: p.id),
    ("title", lambda p: p.title),
    ("host_member", lambda p: p.host_member.name),
    ("vendor", lambda p: p.vendor_display),
    ("listing_id", lambda p: p.listing_id),
    ("category", lambda p: p.category),
    ("status", lambda p: p.status),
    ("start_date", lambda p: p.start_date),
    ("end_date", lambda p: p.end_date),
    ("units", lambda p: p.units),
    ("area", lambda p: p.area),
    ("cost", lambda p: p.cost),
    ("financing", lambda p: p.financing),
    ("kpis", lambda p: "; ".join(str(m.get("kpi", "")) for m in p.metrics or ())),
    ("outcome", lambda p: p.outcome),
    ("derived_outcome", lambda p: p.derived_outcome),
    ("verified_at", lambda p: p.verified_at),
)
