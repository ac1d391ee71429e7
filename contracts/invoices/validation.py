"""Reading an invoice from a form or JSON: plain data, or field messages. What it may ask for is a rule of
the settlement and the lines (contracts.invoices.services), checked after this."""

from __future__ import annotations

from datetime import date

from contracts.invoices.models import MAX_INVOICE_LINES, NUMBER_MAX
from contracts.orders.models import Order
from marketplace.inputs import clean_text, parse_date, parse_id, parse_int, parse_money, parse_period, raise_if


def clean_invoice_data(data: dict, order: Order, *, today: date, periods: int) -> dict:
    """{number, issued_on, amount, period | line_ids}: a period of a performance order, or lines."""
    fields: dict[str, str] = {}
    number = clean_text(data.get("number"), "number", fields, limit=NUMBER_MAX, required=True)
    issued_on = parse_date(data.get("issued_on"), "issued_on", fields)
    if issued_on is not None and issued_on > today:
        fields["issued_on"] = "An invoice cannot be dated in the future."
    amount = parse_money(data.get("amount"), "amount", fields)
    raw_period, raw_lines = data.get("period"), data.get("lines")
    has_period = raw_period not in (None, "")
    has_lines = bool(raw_lines)
    period, line_ids = None, []
    if has_period and has_lines:
        fields["period"] = "Invoice either a period or lines, not both."
    elif has_period:
        if not periods:
            fields["period"] = "This order has no performance periods; invoice its lines."
        else:
            period = parse_period(raw_period, "period", fields, high=periods)
    elif has_lines:
        line_ids = _line_ids(raw_lines, order, fields)
    else:
        fields["period" if periods else "lines"] = (
            "Choose the period or the lines this invoice is for." if periods and order.lines
            else "Choose the period this invoice is for." if periods else "Choose the lines this invoice is for.")
    raise_if(fields, "The invoice has problems to correct.")
    return {"number": number, "issued_on": issued_on, "amount": amount, "period": period, "line_ids": line_ids}


def _line_ids(raw, order: Order, fields: dict) -> list[int]:
    if not isinstance(raw, list) or len(raw) > MAX_INVOICE_LINES:
        fields["lines"] = f"List the order lines to invoice (at most {MAX_INVOICE_LINES})."
        return []
    own = {line.id for line in order.lines}
    ids = []
    for item in raw:
        line_id = parse_id(item.get("line_id") if isinstance(item, dict) else item)
        if line_id is None or line_id not in own:
            fields["lines"] = "Choose lines of this order."
            return []
        if line_id not in ids:
            ids.append(line_id)
    return ids


def clean_revenue_invoice_data(data: dict, *, today: date, periods: int, blocks: int) -> dict:
    """{number, issued_on, amount, period | block}: the city's invoice to the vendor for its share of one
    period's revenue, or for the true-up of one guarantee block."""
    fields: dict[str, str] = {}
    number = clean_text(data.get("number"), "number", fields, limit=NUMBER_MAX, required=True)
    issued_on = parse_date(data.get("issued_on"), "issued_on", fields)
    if issued_on is not None and issued_on > today:
        fields["issued_on"] = "An invoice cannot be dated in the future."
    amount = parse_money(data.get("amount"), "amount", fields)
    raw_period, raw_block = data.get("period"), data.get("block")
    period = block = None
    if raw_period not in (None, "") and raw_block not in (None, ""):
        fields["period"] = "Invoice either a period's share or a block's true-up, not both."
    elif raw_period not in (None, ""):
        period = parse_period(raw_period, "period", fields, high=periods)
    elif raw_block not in (None, ""):
        block = parse_int(raw_block, "block", fields, what="guarantee block", low=1, high=max(blocks, 1))
    else:
        fields["period"] = "Choose the period's share or the guarantee block's true-up this invoice is for."
    raise_if(fields, "The invoice has problems to correct.")
    return {"number": number, "issued_on": issued_on, "amount": amount, "period": period, "block": block}
