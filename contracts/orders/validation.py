"""Order bodies (API JSON or the form's data) → clean data, or field errors. Nothing here writes."""

from __future__ import annotations

from decimal import Decimal

from catalog.listings.models import PRICING_MODELS
from contracts.orders.models import (
    MAX_LINE_TOTAL,
    MAX_LINES,
    MAX_QUANTITY,
    NOTES_MAX,
    PO_NUMBER_MAX,
    QUANTITY_PLACES,
    implied_pricing_model,
)
from contracts.performance import TermsError, parse_terms
from contracts.vehicles.models import Award, Vehicle
from marketplace.formats import money
from marketplace.inputs import clean_text, parse_date, parse_decimal, parse_id, parse_money, raise_if, to_cents


def _line(raw, path: str, schedule: dict, seen: set, where: str, fields: dict) -> dict | None:
    if not isinstance(raw, dict):
        fields[path] = "Each line needs price_item_id, quantity and unit_price."
        return None
    item_id = raw.get("price_item_id")
    item = schedule.get(parse_id(item_id)) if isinstance(item_id, int) and not isinstance(item_id, bool) else None
    if item is None:
        fields[f"{path}.price_item_id"] = f"This item is not on {where}."
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


def order_award(data: dict, vehicle: Vehicle, fields: dict, vendor_id: int | None = None) -> Award | None:
    """The award an order buys from: the one named by `vendor_id` (required when the vehicle awards several
    vendors), or the only one. `vendor_id` given here is the vendor of an existing order (it never changes)."""
    raw = data.get("vendor_id")
    if vendor_id is not None:
        if raw not in (None, "") and parse_id(raw) != vendor_id:
            fields["vendor_id"] = "The vendor of an order cannot change: cancel this draft and start a new order."
        return vehicle.award_of(vendor_id)
    if raw in (None, ""):
        if len(vehicle.awards) == 1:
            return vehicle.awards[0]
        fields["vendor_id"] = (f"Vehicle {vehicle.number} awards several vendors ({vehicle.vendor_names}): choose "
                               "the vendor to order from.")
        return None
    award = vehicle.award_of(parse_id(raw) if not isinstance(raw, bool) else None)
    if award is None:
        fields["vendor_id"] = f"Not a vendor awarded on vehicle {vehicle.number}: choose {vehicle.vendor_names}."
    return award


def offered_pricing_models(award: Award | None) -> list[str]:
    """The pricing models the listings an award covers offer, in the catalog's order."""
    offered = {model for listing in (award.listings if award is not None else []) for model in
               (listing.pricing_models or [])}
    return [model for model in PRICING_MODELS if model in offered]


def _pricing_model(raw, award: Award | None, terms, performance, fields: dict, current: str | None) -> str | None:
    """The order's pricing model: the one named (one the vendor's covered listings offer, unless the order
    already has it), or, when none is named, the order's current one or the one its terms imply (so callers
    that know nothing of pricing models keep working). A revenue share needs its block in the terms."""
    if raw in (None, ""):
        model = current or implied_pricing_model(performance if terms is not None else None)
    elif not isinstance(raw, str) or raw not in PRICING_MODELS:
        fields["pricing_model"] = f"Choose one of {', '.join(PRICING_MODELS)}."
        return None
    else:
        model = raw
        offered = offered_pricing_models(award)
        if award is not None and raw != current and raw not in offered:
            names = ", ".join(PRICING_MODELS[m].lower() for m in offered) or "no pricing model"
            fields["pricing_model"] = (f"{award.vendor.name} does not offer {PRICING_MODELS[raw].lower()} on this "
                                       f"vehicle: its listings here offer {names}.")
            return None
    if model == "revenue_share" and (performance in (None, {}) or (terms is not None and terms.revenue_share is None)):
        fields["pricing_model"] = ("A revenue-share order needs the revenue-share block of the performance terms "
                                   "(the city's share and the minimum guarantee); or choose another pricing model.")
        return None
    return model


def clean_order_data(data: dict, vehicle: Vehicle, *, vendor_id: int | None = None,
                     pricing_model: str | None = None) -> dict:
    """Validate an order body against the price schedule of the vendor's award on the vehicle; raises
    ValidationFailed. `vendor_id` and `pricing_model` are those of an order being edited."""
    fields: dict[str, str] = {}
    award = order_award(data, vehicle, fields, vendor_id)
    schedule = {s.price_item_id: s for s in award.schedule} if award is not None else {}
    raw_lines = data.get("lines") or []
    if not isinstance(raw_lines, list):
        fields["lines"] = "Must be a list of lines."
        raw_lines = []
    if len(raw_lines) > MAX_LINES:
        fields["lines"] = f"Use at most {MAX_LINES} lines."
        raw_lines = []
    seen: set[int] = set()
    if award is None:
        raw_lines = []  # no vendor yet: its schedule is what the lines are checked against
    where = (f"{award.vendor.name}'s price schedule under vehicle {vehicle.number}" if award and vehicle.is_multi_award
             else f"the price schedule of vehicle {vehicle.number}")
    lines = [line for i, raw in enumerate(raw_lines)
             if (line := _line(raw, f"lines.{i}", schedule, seen, where, fields)) is not None]
    performance = data.get("performance")
    terms = _terms(performance, fields)
    line_problems = any(k.startswith("lines.") for k in fields)
    if award is not None and not lines and performance in (None, {}) and not line_problems:
        fields.setdefault("lines", "Add at least one line from the price schedule, or performance terms.")
    clean = {
        "po_number": clean_text(data.get("po_number"), "po_number", fields, limit=PO_NUMBER_MAX),
        "notes": clean_text(data.get("notes"), "notes", fields, limit=NOTES_MAX),
        "delivery_start": parse_date(data.get("delivery_start"), "delivery_start", fields, required=False),
        "delivery_end": parse_date(data.get("delivery_end"), "delivery_end", fields, required=False),
        "award": award,
        "lines": lines,
        "terms": terms,
        "pricing_model": _pricing_model(data.get("pricing_model"), award, terms, performance, fields,
                                        pricing_model),
    }
    if clean["delivery_start"] and clean["delivery_end"] and clean["delivery_end"] < clean["delivery_start"]:
        fields["delivery_end"] = "The end of the period of performance must not be before its start."
    raise_if(fields, "The order has problems to correct.")
    return clean


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return to_cents(quantity * unit_price)
