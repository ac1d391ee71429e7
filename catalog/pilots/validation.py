"""Pilot input → clean values, or every problem at once (`ValidationFailed` keyed by field path such as
`metrics.0.baseline`). Input is the API's JSON shape (DESIGN section 7); the HTML form converts to it, so
both get the same rules and messages. Parsing goes through `marketplace.inputs`; the limits are the
model's."""

from __future__ import annotations

from collections.abc import Mapping

from catalog.listings.models import CATEGORIES, Listing
from catalog.listings.queries import published_listing
from catalog.pilots.models import (
    DIRECTIONS,
    KPI_MAX,
    MAX_COST,
    MAX_METRICS,
    METRIC_FIELDS,
    METRIC_UNIT_MAX,
    OUTCOMES,
    PILOT_STATUSES,
    TEXT_LIMITS,
    derive_outcome,
)
from marketplace.inputs import clean_text, parse_choice, parse_date, parse_decimal, parse_id, parse_money, raise_if

FIELDS = ("title", "listing_id", "vendor_name", "category", "start_date", "end_date", "units", "area", "cost",
          "financing", "metrics", "outcome", "justification", "lessons", "references")
NO_LISTING = "No such published listing."
# Library filters typed into a query string (title and KPI text).
FILTER_MAX = 200


def _metric(item, path: str, fields: dict, seen: set[str]) -> dict | None:
    if not isinstance(item, dict):
        fields[path] = "Must be an object with kpi, unit, direction, baseline, target and result."
        return None
    for name in sorted(set(item) - set(METRIC_FIELDS)):
        fields[f"{path}.{name}"] = "This field is not allowed."
    kpi = clean_text(item.get("kpi"), f"{path}.kpi", fields, limit=KPI_MAX, required=True)
    if "|" in kpi:
        fields[f"{path}.kpi"] = "Do not use the | character in a KPI name."
    elif kpi and kpi.casefold() in seen:
        fields[f"{path}.kpi"] = "Each metric needs a different KPI name."
    seen.add(kpi.casefold())
    numbers = {name: parse_decimal(item.get(name), f"{path}.{name}", fields, what=name, example="97.5")
               for name in ("baseline", "target")}
    # A metric may be recorded before its result is known: it then counts towards no outcome.
    result = parse_decimal(item.get("result"), f"{path}.result", fields, what="result", example="97.5",
                           required=False)
    return {
        "kpi": kpi,
        "unit": clean_text(item.get("unit"), f"{path}.unit", fields, limit=METRIC_UNIT_MAX),
        "direction": parse_choice(item.get("direction"), f"{path}.direction", fields, DIRECTIONS,
                                  what="direction"),
        **{name: format(value, "f") if value is not None else "" for name, value in numbers.items()},
        "result": format(result, "f") if result is not None else None,
    }


def clean_metrics(raw, fields: dict) -> list[dict]:
    """1 to MAX_METRICS metrics with exact numbers (stored as decimal text such as "97.5"), KPI names
    all different."""
    if raw is None or raw == []:
        fields["metrics"] = "Add at least one metric with its baseline, target and result."
        return []
    if not isinstance(raw, list):
        fields["metrics"] = "Must be a list of metrics."
        return []
    if len(raw) > MAX_METRICS:
        fields["metrics"] = f"Use at most {MAX_METRICS} metrics."
        return []
    seen: set[str] = set()
    metrics = [_metric(item, f"metrics.{i}", fields, seen) for i, item in enumerate(raw)]
    return [m for m in metrics if m is not None]


def _listing(data: dict, consortium_id: int, fields: dict) -> Listing | None:
    raw = data.get("listing_id")
    if raw is None or raw == "":
        return None
    listing = published_listing(consortium_id, raw)
    if listing is None:
        # The same answer for unknown, unpublished and other consortia's listings: no enumeration.
        fields["listing_id"] = NO_LISTING
    return listing


def _category(data: dict, listing: Listing | None, has_listing: bool, fields: dict) -> str | None:
    """A pilot of a listing has the listing's category; one naming a vendor chooses it."""
    category = data.get("category") or None
    if listing is not None:
        if category is not None and category != listing.category:
            fields["category"] = f"A pilot of a listing has the listing's category ({listing.category_label})."
        return listing.category
    return parse_choice(category, "category", fields, CATEGORIES, what="category", required=not has_listing)


def clean_pilot_data(data: dict, *, consortium_id: int) -> dict:
    """Validate pilot input; returns clean values (with `listing`) or raises ValidationFailed listing
    every problem."""
    fields: dict[str, str] = {}
    for name in sorted(set(data) - set(FIELDS)):
        fields[name] = "This field is not allowed."
    clean: dict = {name: clean_text(data.get(name), name, fields, limit=TEXT_LIMITS[name])
                   for name in ("units", "area", "financing", "lessons", "references")}
    clean["title"] = clean_text(data.get("title"), "title", fields, limit=TEXT_LIMITS["title"], required=True)
    vendor_name = clean_text(data.get("vendor_name"), "vendor_name", fields, limit=TEXT_LIMITS["vendor_name"])
    listing = _listing(data, consortium_id, fields)
    has_listing = listing is not None or "listing_id" in fields
    if has_listing and vendor_name:
        fields["vendor_name"] = "Give either a listing of the marketplace or a vendor name, not both."
    elif not has_listing and not vendor_name and "vendor_name" not in fields:
        fields["vendor_name"] = "Choose a listing, or name the vendor if it is not on the marketplace yet."
    category = _category(data, listing, has_listing, fields)
    clean["start_date"] = parse_date(data.get("start_date"), "start_date", fields)
    clean["end_date"] = parse_date(data.get("end_date"), "end_date", fields)
    if clean["start_date"] and clean["end_date"] and clean["end_date"] < clean["start_date"]:
        fields["end_date"] = "The end date cannot be before the start date."
    clean["cost"] = parse_money(data.get("cost"), "cost", fields, what="cost", required=False, positive=False,
                                high=MAX_COST)
    clean["metrics"] = clean_metrics(data.get("metrics"), fields)
    clean.update(_outcome(data, clean["metrics"], fields))
    raise_if(fields, "The pilot has problems to correct.")
    clean.update(listing=listing, vendor_name=vendor_name or None, category=category)
    return clean


def justification_missing(outcome: str, derived: str) -> str:
    return (f"Your metrics give '{OUTCOMES[derived]}'. Explain why the outcome is '{OUTCOMES[outcome]}', "
            "or leave the outcome as derived.")


def _outcome(data: dict, metrics: list[dict], fields: dict) -> dict:
    """The outcome is derived from the metrics; the recorder may state another only with a written
    justification. Omitted → the derived outcome. A justification of an outcome that equals the derived
    one explains nothing and is dropped."""
    outcome = parse_choice(data.get("outcome") or None, "outcome", fields, OUTCOMES, what="outcome", required=False)
    justification = clean_text(data.get("justification"), "justification", fields,
                               limit=TEXT_LIMITS["justification"])
    if any(path.startswith("metrics") for path in fields):
        return {}  # the derived outcome is unknown until the metrics are right
    derived = derive_outcome(metrics)
    outcome = outcome or derived
    if outcome != derived and not justification and "justification" not in fields and "outcome" not in fields:
        fields["justification"] = justification_missing(outcome, derived)
    return {"outcome": outcome, "derived_outcome": derived,
            "justification": justification if outcome != derived else None}


def clean_library_filters(args: Mapping[str, str]) -> dict:
    """Library filters from a query string: q (title), category, outcome, host (member id), kpi, status."""
    fields: dict[str, str] = {}
    filters: dict = {name: clean_text(args.get(name), name, fields, limit=FILTER_MAX) or None for name in ("q", "kpi")}
    for name, allowed in (("category", CATEGORIES), ("outcome", OUTCOMES), ("status", PILOT_STATUSES)):
        filters[name] = parse_choice(args.get(name) or None, name, fields, allowed, required=False)
    host = (args.get("host") or "").strip()
    filters["host"] = parse_id(host) if host else None
    if host and filters["host"] is None:
        fields["host"] = "Choose a member city."
    raise_if(fields, "The filters have problems to correct.")
    return filters
