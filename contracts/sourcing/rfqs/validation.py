"""RFQ and quote input → clean values, or every problem at once (field paths such as `lines.1.unit_price`).

Input is the API's JSON shape (DESIGN section 7); the forms convert to it. Numbers, money and text go through
`marketplace.inputs`; the closing time through sourcing's one parser of due times (`parse_due`: a date means
the end of that day, a date and time without an offset is in the consortium's zone).

How a quote maps to its RFQ: quote line N answers RFQ line N (a quote answers every line, in order). Each
names one price item of the vendor's own award schedule, is for the RFQ line's quantity, and is priced at
most at the vendor's contract price for that item; no price item twice (the award becomes an order, which
names each item once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from contracts.orders.models import MAX_LINE_TOTAL, MAX_QUANTITY, QUANTITY_PLACES
from contracts.orders.validation import line_total
from contracts.sourcing.rfqs.models import (
    DESCRIPTION_MAX,
    EVALUATIONS,
    LINE_NAME_MAX,
    LINE_UNIT_MAX,
    LINES_MAX,
    NOTE_MAX,
    OPEN_AT_MOST_DAYS,
    TITLE_MAX,
    Rfq,
)
from contracts.sourcing.validation import parse_due
from contracts.vehicles.models import Award, ScheduleItem, Vehicle
from marketplace.formats import day, money
from marketplace.inputs import clean_text, parse_choice, parse_decimal, parse_id, parse_money, raise_if

RFQ_FIELDS = ("title", "description", "lines", "closes_at", "evaluation")
QUOTE_FIELDS = ("lines", "note")
RFQ_PROBLEMS = "The request for quotes has problems to correct."
QUOTE_PROBLEMS = "The quote has problems to correct."


def _unexpected(data: dict, allowed, fields: dict) -> None:
    for name in sorted(set(data) - set(allowed)):
        fields[name] = "This field is not allowed."


def _quantity(raw, path: str, fields: dict) -> Decimal | None:
    return parse_decimal(raw, path, fields, what="quantity", places=QUANTITY_PLACES, low=0, low_open=True,
                         high=MAX_QUANTITY, example="300")


def _rfq_lines(raw, fields: dict) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        fields["lines"] = "Ask for at least one line: a name, a unit and a quantity."
        return []
    if len(raw) > LINES_MAX:
        fields["lines"] = f"Use at most {LINES_MAX} lines."
        return []
    lines = []
    for index, row in enumerate(raw):
        path = f"lines.{index}"
        if not isinstance(row, dict):
            fields[path] = "Each line needs a name, a unit and a quantity."
            continue
        for name in sorted(set(row) - {"name", "unit", "quantity"}):
            fields[f"{path}.{name}"] = "This field is not allowed."
        lines.append({
            "name": clean_text(row.get("name"), f"{path}.name", fields, limit=LINE_NAME_MAX, required=True),
            "unit": clean_text(row.get("unit"), f"{path}.unit", fields, limit=LINE_UNIT_MAX, required=True),
            "quantity": _quantity(row.get("quantity"), f"{path}.quantity", fields),
        })
    return lines


def vehicle_ends_at(vehicle: Vehicle, zone) -> datetime:
    """The last moment of the vehicle's term in the consortium's zone (an award after it could order nothing)."""
    return datetime.combine(vehicle.end_date, time(23, 59, 59), tzinfo=zone)


def clean_rfq_data(data: dict, *, vehicle: Vehicle, zone, now: datetime) -> dict:
    """{title, description, lines: [{name, unit, quantity}], closes_at, evaluation}: quotes close in the
    future, within a year and before the vehicle ends; raises ValidationFailed listing every problem."""
    fields: dict[str, str] = {}
    _unexpected(data, RFQ_FIELDS, fields)
    clean = {
        "title": clean_text(data.get("title"), "title", fields, limit=TITLE_MAX, required=True),
        "description": clean_text(data.get("description"), "description", fields, limit=DESCRIPTION_MAX),
        "lines": _rfq_lines(data.get("lines"), fields),
        "closes_at": parse_due(data.get("closes_at"), zone, fields, "closes_at"),
        "evaluation": parse_choice(data.get("evaluation"), "evaluation", fields, EVALUATIONS, what="evaluation"),
    }
    closes = clean["closes_at"]
    if closes is not None and closes <= now:
        fields["closes_at"] = "Quotes must close in the future."
    elif closes is not None and closes > now + timedelta(days=OPEN_AT_MOST_DAYS):
        fields["closes_at"] = f"Quotes can close at most {OPEN_AT_MOST_DAYS} days ahead."
    elif closes is not None and closes > vehicle_ends_at(vehicle, zone):
        fields["closes_at"] = (f"Quotes must close before vehicle {vehicle.number} ends on {day(vehicle.end_date)}, "
                               "so the award can still be ordered under it.")
    raise_if(fields, RFQ_PROBLEMS)
    return clean


@dataclass
class QuotedLine:
    """One clean quote line: the RFQ line it answers, the vendor's schedule line, quantity and price."""

    rfq_line: object
    item: ScheduleItem
    quantity: Decimal
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return line_total(self.quantity, self.unit_price)


def _quote_line(row, rfq_line, path: str, schedule: dict, seen: dict, fields: dict) -> QuotedLine | None:
    if not isinstance(row, dict):
        fields[path] = "Each line needs price_item_id and unit_price."
        return None
    for name in sorted(set(row) - {"price_item_id", "quantity", "unit_price"}):
        fields[f"{path}.{name}"] = "This field is not allowed."
    raw_id = row.get("price_item_id")
    item = schedule.get(parse_id(raw_id)) if not isinstance(raw_id, bool) else None
    price = parse_money(row.get("unit_price"), f"{path}.unit_price", fields, what="unit price")
    quantity = rfq_line.quantity
    if row.get("quantity") not in (None, ""):
        given = _quantity(row.get("quantity"), f"{path}.quantity", fields)
        if given is not None and given != quantity:
            fields[f"{path}.quantity"] = (f"“{rfq_line.name}” asks for {quantity.normalize():f} {rfq_line.unit}: "
                                          "quote that quantity.")
    if item is None:
        fields[f"{path}.price_item_id"] = "Choose one of the price items of your schedule under this vehicle."
        return None
    if item.price_item_id in seen:
        fields[f"{path}.price_item_id"] = (f"“{item.price_item.name}” already prices line "
                                           f"{seen[item.price_item_id] + 1}; use each price item once.")
        return None
    seen[item.price_item_id] = int(path.rsplit(".", 1)[1])
    if price is None:
        return None
    if price > item.contract_price:
        fields[f"{path}.unit_price"] = (f"{money(price)} is above your contract price of {money(item.contract_price)} "
                                        f"for “{item.price_item.name}” (by {money(price - item.contract_price)}).")
        return None
    if quantity * price > MAX_LINE_TOTAL:
        fields[f"{path}.unit_price"] = f"This line would total more than {money(MAX_LINE_TOTAL)}."
        return None
    return QuotedLine(rfq_line, item, quantity, price)


def clean_quote_data(data: dict, *, rfq: Rfq, award: Award) -> dict:
    """{lines: [QuotedLine], note, total} for the vendor of `award`; raises ValidationFailed."""
    fields: dict[str, str] = {}
    _unexpected(data, QUOTE_FIELDS, fields)
    raw = data.get("lines")
    lines: list[QuotedLine] = []
    if not isinstance(raw, list) or len(raw) != len(rfq.lines):
        count = len(rfq.lines)
        fields["lines"] = (f"Quote every line of the request, in its order: {count} line{'s' if count != 1 else ''}, "
                           "each with a price item of your schedule and a unit price.")
    else:
        schedule = {line.price_item_id: line for line in award.schedule}
        seen: dict[int, int] = {}
        for index, (row, rfq_line) in enumerate(zip(raw, rfq.lines, strict=True)):
            line = _quote_line(row, rfq_line, f"lines.{index}", schedule, seen, fields)
            if line is not None:
                lines.append(line)
    note = clean_text(data.get("note"), "note", fields, limit=NOTE_MAX)
    raise_if(fields, QUOTE_PROBLEMS)
    return {"lines": lines, "note": note, "total": sum((line.total for line in lines), Decimal("0.00"))}
