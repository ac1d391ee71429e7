"""Order bodies (API JSON or the form's data) → clean data, or field errors. Nothing here writes."""

from __future__ import annotations

from decimal import Decimal

from contracts.orders.models import (
    MAX_LINE_TOTAL,
    MAX_LINES,
    MAX_QUANTITY,
    NOTES_MAX,
    PO_NUMBER_MAX,
    QUANTITY_PLACES,
)
from contracts.performance import TermsError, parse_terms
from contracts.vehicles.models import Vehicle
from marketplace.formats import money
from marketplace.inputs import clean_text, parse_date, parse_decimal, parse_id, parse_money, raise_if, to_cents


def _line(raw, path: str, schedule: dict, seen: set, vehicle: Vehicle, fields: dict) -> dict | None:
    if not isinstance(raw, dict):
        fields[path] = "Each line needs price_item_id, quantity and unit_price."
        return None
    item_id = raw.get("price_item_id")
    item = schedule.get(parse_id(item_id)) if isinstance(item_id, int) and not isinstance(item_id, bool) else None
    if item is None:
        fields[f"{path}.price_item_id"] = f"This item is not on the price schedule of vehicle {vehicle.number}."
        return None
    if item.price_item_id in seen:
        fields[f"{path}.price_item_id"] = "This item is already on another line; change that line's quantity."
        return None
    seen.add(item.price_item_id)
    quantity = parse_decimal(raw.get("quantity"), f"{path}.quantity", fields, what="quantity",
                             places=QUANTITY_PLACES, low=0, low_open=True, high=MAX_QUANTITY, example="12")
    unit_price = item.contract_price
    if raw.get("unit_price") not in (None, ""):
        unit_price = parse_money(raw.get("unit_price"), f"{path}.unit_price", fields, what="unit price")
        if unit_price is not None and unit_price > item.contract_price:
            fields[f"{path}.unit_price"] = (
                f"{money(unit_price)} is above the contract price {money(item.contract_price)} "
                f"(by {money(unit_price - item.contract_price)})."
            )
    if quantity is not None and unit_price is not None and quantity * unit_price > MAX_LINE_TOTAL:
        fields[f"{path}.quantity"] = f"This line would total more than {money(MAX_LINE_TOTAL)}; order less."
    return {"item": item, "quantity": quantity, "unit_price": unit_price}


def _terms(performance, fields: dict):
    if performance in (None, {}):
        return None
    if not isinstance(performance, dict):
        fields["performance"] = "Must be an object with the performance terms."
        return None
    try:
        return parse_terms(performance)
    except TermsError as err:
        fields.update({f"performance.{k}": v for k, v in err.fields.items()})
        return None


def clean_order_data(data: dict, vehicle: Vehicle) -> dict:
    """Validate an order body against the vehicle's price schedule; raises ValidationFailed."""
    fields: dict[str, str] = {}
    schedule = {s.price_item_id: s for s in vehicle.schedule}
    raw_lines = data.get("lines") or []
    if not isinstance(raw_lines, list):
        fields["lines"] = "Must be a list of lines."
        raw_lines = []
    if len(raw_lines) > MAX_LINES:
        fields["lines"] = f"Use at most {MAX_LINES} lines."
        raw_lines = []
    seen: set[int] = set()
    lines = [line for i, raw in enumerate(raw_lines)
             if (line := _line(raw, f"lines.{i}", schedule, seen, vehicle, fields)) is not None]
    performance = data.get("performance")
    terms = _terms(performance, fields)
    if not lines and performance in (None, {}) and not any(k.startswith("lines.") for k in fields):
        fields.setdefault("lines", "Add at least one line from the price schedule, or performance terms.")
    clean = {
        "po_number": clean_text(data.get("po_number"), "po_number", fields, limit=PO_NUMBER_MAX),
        "notes": clean_text(data.get("notes"), "notes", fields, limit=NOTES_MAX),
        "delivery_start": parse_date(data.get("delivery_start"), "delivery_start", fields, required=False),
        "delivery_end": parse_date(data.get("delivery_end"), "delivery_end", fields, required=False),
        "lines": lines,
        "terms": terms,
    }
    if clean["delivery_start"] and clean["delivery_end"] and clean["delivery_end"] < clean["delivery_start"]:
        fields["delivery_end"] = "The end of the period of performance must not be before its start."
    raise_if(fields, "The order has problems to correct.")
    return clean


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return to_cents(quantity * unit_price)
