"""Performance statements (PDF per period) and KPI charts (server-rendered SVG)."""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

from consortium.context import current_consortium
from contracts.observations.services import order_terms
from contracts.orders.documents import kpi_label, unit_rate
from contracts.orders.models import Order
from contracts.performance import Settlement
from marketplace.pdf import render_pdf
from marketplace.templating import number

# Callables (order, period) -> str | None naming the invoices a period's statement supports; the invoices
# feature registers one (it sits above observations, which never import it).
INVOICE_REFERENCES: list = []


def render_statement(order: Order, settlement: Settlement, period: int, *,
                     invoice_reference: str | None = None) -> bytes:
    """The statement of one period: its dates, the terms, measured values (KPI names and units), every step
    with factors as percentages, the holdback and the amounts payable. `invoice_reference` (the invoice this
    statement supports; by default the period's invoices, from INVOICE_REFERENCES) is printed as "Invoice: …"."""
    if invoice_reference is None and INVOICE_REFERENCES:
        invoice_reference = INVOICE_REFERENCES[0](order, period)
    terms = order_terms(order)
    result = settlement.period(period)
    window = settlement.window_of(period)
    verified = {o.kpi: o for o in order.observations if o.period == period and o.status == "verified"}
    return render_pdf(
        "contracts/observations/statement_pdf.html", order=order, terms=terms, settlement=settlement, result=result,
        window=window, verified=verified, savings=settlement.savings_for(period),
        revenue=settlement.revenue_for(period), guarantee=settlement.guarantee_of(period),
        dates=(result.start_date, result.end_date), period=period,
        kpis={k.code: k for k in terms.kpis}, consortium=current_consortium(),
        label=lambda code: kpi_label(code, terms), missing=[kpi_label(code, terms) for code in result.missing],
        unit_rate=unit_rate, invoice_reference=invoice_reference,
    )


def kpi_chart(kpi, values: dict[int, Decimal], periods: int, width: int = 640, height: int = 220) -> Markup:
    """An SVG line of one KPI's verified values per period against its floor and target lines."""
    # Labels as people write numbers ("1,200", not the stored "1.2E+3"); the left margin fits the longest.
    labels = {"floor": f"floor {number(kpi.floor)}", "target": f"target {number(kpi.target)}"}
    left, right, top, bottom = max(56, 7 * max(len(text) for text in labels.values()) + 8), 12, 14, 30
    numbers = [kpi.floor, kpi.target, *values.values()] + ([kpi.stretch] if kpi.stretch is not None else [])
    low, high = min(numbers), max(numbers)
    pad = (high - low) * Decimal("0.1") or Decimal("1")
    low, high = low - pad, high + pad

    def x(period: int) -> float:
        span = max(periods - 1, 1)
        return left + (width - left - right) * (period - 1) / span

    def y(value: Decimal) -> float:
        return top + float((high - value) / (high - low)) * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="chart-{escape(kpi.code)}-title">',
        f'<title id="chart-{escape(kpi.code)}-title">{escape(kpi.name)}: verified values per period against '
        f'{escape(labels["floor"])} and {escape(labels["target"])}</title>',
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" '
        'fill="#f8f8f8" stroke="#dfe1e2"/>',
    ]
    # Label colours keep at least 4.5:1 against the white page (WCAG AA for small text).
    for label, value, colour, dash in (("floor", kpi.floor, "#b50909", "6 4"), ("target", kpi.target, "#008817", "")):
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="{colour}" stroke-width="1.5"{dashes}/>')
        parts.append(f'<text x="{left - 4}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end" '
                     f'fill="{colour}">{escape(labels[label])}</text>')
    points = sorted(values.items())
    if points:
        path = " ".join(f"{x(p):.1f},{y(v):.1f}" for p, v in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#005ea2" stroke-width="2"/>')
        for p, v in points:
            parts.append(f'<circle cx="{x(p):.1f}" cy="{y(v):.1f}" r="3.5" fill="#005ea2">'
                         f'<title>Period {p}: {escape(number(v))} {escape(kpi.unit)}</title></circle>')
    step = max(1, periods // 12)
    for p in range(1, periods + 1, step):
        parts.append(f'<text x="{x(p):.1f}" y="{height - 10}" font-size="11" text-anchor="middle" '
                     f'fill="#565c65">{p}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
