"""The dashboard's charts: pygal bar charts as inline SVG, made CSP-safe and accessible the same way as the kernel's
line chart (`marketplace.charts`: styles and scripts removed, one image named by its title and described in words
by its description). Colours come from `static/css/dashboards.css`; the page shows the same figures in a table
beside each chart."""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup

from contracts.reporting.dashboards.queries import CeilingRow, Fees, SettlementRow, Spend
from contracts.reporting.dashboards.validation import GROUPS
from marketplace import charts
from marketplace.formats import money

MAX_BARS = 12  # groups drawn; the table lists them all


def bar_chart(**chart) -> Markup:
    """The kernel's bar chart, coloured by the dashboard's stylesheet."""
    return charts.bar_chart(**chart, max_bars=MAX_BARS, css_class="dashboard-chart")


def _describe(what: str, labels: list[str], series: list[tuple[str, list[Decimal]]]) -> str:
    """The chart's description in words: the totals of each series and the largest group of the first."""
    if not labels:
        return f"{what}: nothing in the chosen range."
    totals = "; ".join(f"{name} {money(sum(values, Decimal('0.00')))} in total" for name, values in series)
    first_name, first = series[0]
    top = max(range(len(labels)), key=lambda i: first[i])
    groups = "1 group" if len(labels) == 1 else f"{len(labels)} groups"
    return f"{what} for {groups}. {totals}. Largest {first_name.lower()}: {labels[top]}, {money(first[top])}."


def spend_chart(spend: Spend) -> Markup:
    labels = [row.label for row in spend.rows]
    series = [("Committed", [r.committed for r in spend.rows]), ("Invoiced", [r.invoiced for r in spend.rows]),
              ("Paid", [r.paid for r in spend.rows])]
    group = GROUPS[spend.group_by].lower()
    return bar_chart(chart_id="spend-chart", title=f"Spend by {group}", labels=labels, series=series,
                     description=_describe(f"Committed, invoiced and paid by {group}", labels, series))


def ceiling_chart(rows: list[CeilingRow]) -> Markup:
    labels = [row.vehicle.number for row in rows]
    series = [("Committed", [r.committed for r in rows]), ("Remaining", [r.remaining for r in rows])]
    return bar_chart(chart_id="ceiling-chart", title="Ceiling use per vehicle", labels=labels, series=series,
                     description=_describe("Committed and remaining of each vehicle's ceiling", labels, series))


def settlement_chart(totals: SettlementRow) -> Markup:
    labels = ["Verified savings", "City's net savings", "Holdbacks released", "Holdbacks forfeited",
              "Holdbacks pending"]
    values = [totals.savings, totals.city_net, totals.released, totals.forfeited, totals.pending]
    description = "; ".join(f"{label} {money(value)}" for label, value in zip(labels, values, strict=True)) + "."
    return bar_chart(chart_id="settlement-chart", title="Verified savings and holdbacks", labels=labels,
                     series=[("Amount", values)], description=description)


def fees_chart(summary: Fees) -> Markup:
    labels = [row.label for row in summary.rows]
    series = [("Billed", [r.billed for r in summary.rows]), ("Paid", [r.paid for r in summary.rows])]
    return bar_chart(chart_id="fees-chart", title=f"Admin fees billed and paid by {summary.by}", labels=labels,
                     series=series, description=_describe(f"Admin fees billed and paid by {summary.by}", labels,
                                                          series))
