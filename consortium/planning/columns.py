"""The CSV columns of a need, declared once for the needs page's export and the API's CSV answer."""

from __future__ import annotations

from marketplace.csvexport import Columns

NEED_COLUMNS = Columns(
    ("reference", lambda n: n.reference),
    ("member", lambda n: n.member.name),
    ("title", lambda n: n.title),
    ("category", lambda n: n.category),
    ("status", lambda n: n.status),
    ("fiscal_year", lambda n: n.fiscal_year),
    ("estimated_cost", lambda n: n.estimated_cost),
    ("funded", lambda n: n.funded),
    ("unfunded", lambda n: n.unfunded),
    ("submitted_at", lambda n: n.submitted_at),
)
