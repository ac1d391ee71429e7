"""Reading RFIs, interest and responses from a form or JSON: plain data, or field messages (every problem at
once). What depends on the RFI's state (open, due) is the services' rule, checked under the RFI's lock."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from catalog.listings.models import PRICING_MODELS
from contracts.sourcing.models import (
    INTEREST_NOTE_MAX,
    MAX_LINKED_NEEDS,
    MAX_QUANTITY,
    MOU_COMMENT_MAX,
    MOU_POINTS,
    MOU_TEXT_MAX,
    POSITIONS,
    RFI_TEXT_MAX,
    RFI_TITLE_MAX,
    SUMMARY_MAX,
)
from marketplace.categories import CATEGORIES
from marketplace.inputs import DATE_EXAMPLE, clean_text, parse_choice, parse_id, parse_int, parse_money, raise_if

RFI_FIELDS = ("title", "problem", "outcomes", "category", "responses_due", "need_ids", "mou_outline")
INTEREST_FIELDS = ("indicative_quantity", "indicative_budget", "note")
RESPONSE_FIELDS = ("summary", "listing_id", "pricing_models", "indicative_price", "mou")
_MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?",
                     re.ASCII)
DUE_MESSAGE = f"Enter a date like {DATE_EXAMPLE} (responses are due by the end of that day), or a date and time."


def _unexpected(data: dict, allowed, fields: dict) -> None:
    for name in sorted(set(data) - set(allowed)):
        fields[name] = "This field is not allowed."


def parse_due(raw, zone, fields: dict, path: str = "responses_due") -> datetime | None:
    """When responses are due, as an aware UTC-comparable moment: a date means the end of that day in the
    consortium's zone (11:59:59 PM); a date and time without an offset is read in that zone."""
    text = raw.strip() if isinstance(raw, str) else None
    if not text:
        fields[path] = "Enter the date responses are due."
        return None
    us = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text, re.ASCII)
    match = _MOMENT.fullmatch(text)
    try:
        if us is not None:
            day_, clock, offset = date(int(us[3]), int(us[1]), int(us[2])), None, None
        elif match is not None:
            day_ = date.fromisoformat(match[1])
            clock = time(int(match[2]), int(match[3]), int(match[4] or 0)) if match[2] else None
            offset = match[5]
        else:
            fields[path] = DUE_MESSAGE
            return None
    except ValueError:
        fields[path] = "That date or time does not exist."
        return None
    if clock is None:
        return datetime.combine(day_, time(23, 59, 59), tzinfo=zone)
    if offset:
        return datetime.fromisoformat(f"{day_.isoformat()}T{clock.isoformat()}{'+00:00' if offset == 'Z' else offset}")
    return datetime.combine(day_, clock, tzinfo=zone)


def clean_mou_outline(raw, fields: dict) -> dict:
    """{roles, data_sharing, revenue_sharing, intellectual_property, term}: each point's outline, required."""
    if not isinstance(raw, dict):
        fields["mou_outline"] = "Outline each MOU point: " + ", ".join(MOU_POINTS) + "."
        return {}
    for name in sorted(set(raw) - set(MOU_POINTS)):
        fields[f"mou_outline.{name}"] = "Not an MOU point."
    return {point: clean_text(raw.get(point), f"mou_outline.{point}", fields, limit=MOU_TEXT_MAX, required=True)
            for point in MOU_POINTS}


def clean_need_ids(raw, fields: dict) -> list[int]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        fields["need_ids"] = "Must be a list of need ids."
        return []
    if len(raw) > MAX_LINKED_NEEDS:
        fields["need_ids"] = f"Link at most {MAX_LINKED_NEEDS} needs."
        return []
    ids = []
    for i, value in enumerate(raw):
        need_id = parse_id(value)
        if need_id is None:
            fields[f"need_ids.{i}"] = "Must be the id of a need."
        elif need_id not in ids:
            ids.append(need_id)
    return ids


def clean_rfi_data(data: dict, *, zone, now: datetime) -> dict:
    """{title, problem, outcomes, category, responses_due, need_ids, mou_outline}; the due time is in the future."""
    fields: dict[str, str] = {}
    _unexpected(data, RFI_FIELDS, fields)
    clean = {
        "title": clean_text(data.get("title"), "title", fields, limit=RFI_TITLE_MAX, required=True),
        "problem": clean_text(data.get("problem"), "problem", fields, limit=RFI_TEXT_MAX, required=True),
        "outcomes": clean_text(data.get("outcomes"), "outcomes", fields, limit=RFI_TEXT_MAX, required=True),
        "category": parse_choice(data.get("category"), "category", fields, CATEGORIES, what="category"),
        "responses_due": parse_due(data.get("responses_due"), zone, fields),
        "need_ids": clean_need_ids(data.get("need_ids"), fields),
        "mou_outline": clean_mou_outline(data.get("mou_outline"), fields),
    }
    if clean["responses_due"] is not None and clean["responses_due"] <= now:
        fields["responses_due"] = "Responses must be due in the future."
    elif clean["responses_due"] is not None and clean["responses_due"] > now + timedelta(days=366):
        fields["responses_due"] = "Responses can be due at most a year ahead."
    raise_if(fields, "The RFI has problems to correct.")
    return clean


def clean_interest_data(data: dict) -> dict:
    """{indicative_quantity, indicative_budget, note}: what the member might buy, and for how much."""
    fields: dict[str, str] = {}
    _unexpected(data, INTEREST_FIELDS, fields)
    clean = {
        "indicative_quantity": parse_int(data.get("indicative_quantity"), "indicative_quantity", fields,
                                         what="indicative quantity", high=MAX_QUANTITY),
        "indicative_budget": parse_money(data.get("indicative_budget"), "indicative_budget", fields,
                                         what="indicative budget", positive=False),
        "note": clean_text(data.get("note"), "note", fields, limit=INTEREST_NOTE_MAX),
    }
    raise_if(fields, "The interest has problems to correct.")
    return clean


def clean_positions(raw, fields: dict) -> dict:
    """{point: {position: accept|comment, comment}} for every MOU point; a comment is required to comment."""
    if not isinstance(raw, dict):
        fields["mou"] = "Give your position on each MOU point: " + ", ".join(MOU_POINTS) + "."
        return {}
    for name in sorted(set(raw) - set(MOU_POINTS)):
        fields[f"mou.{name}"] = "Not an MOU point."
    positions = {}
    for point in MOU_POINTS:
        item = raw.get(point)
        if not isinstance(item, dict):
            fields[f"mou.{point}.position"] = "Accept this point, or comment on it."
            continue
        for name in sorted(set(item) - {"position", "comment"}):
            fields[f"mou.{point}.{name}"] = "This field is not allowed."
        position = parse_choice(item.get("position"), f"mou.{point}.position", fields, POSITIONS, what="position")
        comment = clean_text(item.get("comment"), f"mou.{point}.comment", fields, limit=MOU_COMMENT_MAX)
        if position == "comment" and not comment and f"mou.{point}.comment" not in fields:
            fields[f"mou.{point}.comment"] = "Say what you would change about this point."
        positions[point] = {"position": position, "comment": comment}
    return positions


def clean_response_data(data: dict) -> dict:
    """{summary, listing_id, pricing_models, indicative_price, mou}. Whether the listing is the vendor's is
    checked by the service."""
    fields: dict[str, str] = {}
    _unexpected(data, RESPONSE_FIELDS, fields)
    models = data.get("pricing_models")
    if not isinstance(models, list) or not models:
        fields["pricing_models"] = "Choose at least one pricing model."
        models = []
    elif any(m not in PRICING_MODELS for m in models) or len(set(models)) != len(models):
        fields["pricing_models"] = "Choose from: " + ", ".join(PRICING_MODELS) + " (each once)."
    listing_id = None
    if data.get("listing_id") not in (None, ""):
        listing_id = parse_id(data.get("listing_id"))
        if listing_id is None:
            fields["listing_id"] = "Must be the id of one of your published listings."
    clean = {
        "summary": clean_text(data.get("summary"), "summary", fields, limit=SUMMARY_MAX, required=True),
        "listing_id": listing_id,
        "pricing_models": [m for m in PRICING_MODELS if m in models],
        "indicative_price": parse_money(data.get("indicative_price"), "indicative_price", fields,
                                        what="indicative price"),
        "mou": clean_positions(data.get("mou"), fields),
    }
    raise_if(fields, "The response has problems to correct.")
    return clean
