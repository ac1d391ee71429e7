"""Charts drawn on the server as accessible SVG (pygal), with no JavaScript and nothing inline that the
Content-Security-Policy forbids.

pygal's SVG carries a `<style>` element, a configuration `<script>` and a few `style` attributes; the site's
CSP (`style-src 'self'`, `script-src 'self'`) would block them inside a page anyway, so they are removed and
the chart is styled by `static/css/charts.css`. What a screen reader gets: the SVG is one image
(`role="img"`) named by its `<title>` and described by its `<desc>`, and every page that shows a chart shows
the same figures in a table next to it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from decimal import Decimal

import pygal
from markupsafe import Markup

SVG_NS = "http://www.w3.org/2000/svg"
_ID = re.compile(r"[^a-z0-9-]")
MAX_X_LABELS = 8


def compact_money(value) -> str:
    """An axis label: $1.2M, $450K, $950."""
    amount = float(value or 0)
    sign = "−" if amount < 0 else ""
    amount = abs(amount)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if amount >= limit:
            return f"{sign}${amount / limit:.3g}{suffix}"
    return f"{sign}${amount:.0f}"


def _tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _clean(root: ET.Element) -> None:
    """Drop what the CSP blocks or a screen reader should not read: styles, scripts, inline style attributes,
    pygal's hover tooltip with the data it reads (`desc` inside the plot) and its own title."""
    for parent in list(root.iter()):
        for child in list(parent):
            classes = child.get("class", "").split()
            if _tag(child) in ("style", "script") or "tooltip-overlay" in classes or (
                    parent is root and _tag(child) == "title") or (parent is not root and _tag(child) == "desc"):
                parent.remove(child)
        parent.attrib.pop("style", None)


def _unqualify(root: ET.Element) -> None:
    """Write plain SVG names with one `xmlns` on the root. (ElementTree's prefixes are a process-wide table
    that other libraries change, so relying on it could print `ns0:svg`.)"""
    for element in root.iter():
        element.tag = _tag(element)
        for key in [k for k in element.attrib if k.startswith("{")]:
            value = element.attrib.pop(key)
            local = key.rsplit("}", 1)[-1]
            element.set(f"xlink:{local}" if key.startswith("{http://www.w3.org/1999/xlink}") else local, value)
    root.set("xmlns", SVG_NS)


def line_chart(*, chart_id: str, title: str, description: str, labels: Sequence[str],
               values: Sequence[Decimal], series: str, height: int = 320) -> Markup:
    """A line chart of `values` over `labels` as inline SVG: `title` names it, `description` says in words
    what it shows (the key figures), `chart_id` makes its element ids unique on the page."""
    step = max(1, -(-len(labels) // MAX_X_LABELS))  # at most MAX_X_LABELS labels under the axis
    chart = pygal.Line(
        js=[], no_prefix=True, disable_xml_declaration=True, show_legend=False, width=800, height=height,
        fill=True, dots_size=3, value_formatter=compact_money, x_label_rotation=0, truncate_label=-1,
        x_labels_major_every=step, show_minor_x_labels=False, include_x_axis=True, margin=16,
    )
    chart.x_labels = list(labels)
    chart.add(series, [float(v) for v in values])
    return _accessible(chart, chart_id=chart_id, title=title, description=description)


def bar_chart(*, chart_id: str, title: str, description: str, labels: Sequence[str],
              series: Sequence[tuple[str, Sequence[Decimal]]], height: int = 340, max_bars: int = 12,
              css_class: str = "") -> Markup:
    """Grouped bars: one group per label (the first `max_bars`; the page's table lists them all), one bar per
    series (`(name, values)`), with a legend underneath; coloured by `css_class` rules in the stylesheet."""
    chart = pygal.Bar(
        js=[], no_prefix=True, disable_xml_declaration=True, width=800, height=height, legend_at_bottom=True,
        value_formatter=compact_money, x_label_rotation=0 if len(labels) <= 5 else 20, truncate_label=24,
        truncate_legend=-1, include_x_axis=True, margin=16, print_values=False,
    )
    chart.x_labels = list(labels[:max_bars])
    for name, values in series:
        chart.add(name, [float(v) for v in values[:max_bars]])
    return _accessible(chart, chart_id=chart_id, title=title, description=description, css_class=css_class)


def _accessible(chart, *, chart_id: str, title: str, description: str, css_class: str = "") -> Markup:
    """The chart as inline SVG: cleaned for the CSP, one image named by `title` and described by
    `description`, its element ids unique on the page (`chart_id`)."""
    chart_id = _ID.sub("-", chart_id.lower())
    root = ET.fromstring(chart.render(is_unicode=True))
    _clean(root)
    for element in root.iter():  # a legend's ids would repeat on a page with several charts
        if element.get("id", "").startswith("activate-serie"):
            del element.attrib["id"]
    root.set("id", chart_id)
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
    root.set("class", f"pygal-chart chart-svg {css_class}".strip())
    for attribute in ("width", "height"):
        root.attrib.pop(attribute, None)
    title_el = ET.Element(f"{{{SVG_NS}}}title", id=f"{chart_id}-title")
    title_el.text = title
    desc_el = ET.Element(f"{{{SVG_NS}}}desc", id=f"{chart_id}-desc")
    desc_el.text = description
    root.insert(0, desc_el)
    root.insert(0, title_el)
    _unqualify(root)
    return Markup(ET.tostring(root, encoding="unicode"))
