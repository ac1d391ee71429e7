"""Listing input → clean content, or every problem at once (`ValidationFailed` keyed by field path such
as `price_items.0.list_price`). Input is the API's JSON shape (DESIGN section 7); the HTML form converts
to it, so both get the same rules and messages. Parsing goes through `marketplace.inputs`; the limits
are the model's."""

from __future__ import annotations

from catalog.listings.models import (
    CATEGORIES,
    CONTENT_FIELDS,
    DESCRIPTION_MAX,
    ITEM_NAME_MAX,
    ITEM_UNIT_MAX,
    MAX_LIST_PRICE,
    MAX_PRICE_ITEMS,
    MAX_STANDARDS,
    MAX_TAGS,
    PRICING_MODELS,
    STANDARD_MAX,
    SUMMARY_MAX,
    TAG_MAX,
    TITLE_MAX,
    Listing,
)
from marketplace.errors import ValidationFailed
from marketplace.inputs import clean_text, clean_words, parse_choice, parse_id, parse_money, raise_if

PROBLEMS = "The listing has problems to correct."


def _price_item(item, path: str, fields: dict) -> dict | None:
    if not isinstance(item, dict):
        fields[path] = "Must be an object with name, unit and list_price."
        return None
    name = clean_text(item.get("name"), f"{path}.name", fields, limit=ITEM_NAME_MAX)
    if not name and f"{path}.name" not in fields:
        fields[f"{path}.name"] = "Name the price item."
    unit = clean_text(item.get("unit"), f"{path}.unit", fields, limit=ITEM_UNIT_MAX)
    if not unit and f"{path}.unit" not in fields:
        fields[f"{path}.unit"] = "Give the unit, such as 'each' or 'per month'."
    price = parse_money(item.get("list_price"), f"{path}.list_price", fields, what="list price",
                        high=MAX_LIST_PRICE)
    item_id = item.get("id")
    if item_id is not None and (not isinstance(item_id, int) or parse_id(item_id) is None):
        fields[f"{path}.id"] = "Must be the id of an existing price item."
        item_id = None
    return {"id": item_id, "name": name, "unit": unit, "list_price": price}


def clean_price_items(raw, fields: dict) -> list[dict]:
    """Name, unit and a positive list price per item; at most MAX_PRICE_ITEMS, names all different."""
    raw = raw or []
    if not isinstance(raw, list):
        fields["price_items"] = "Must be a list."
        return []
    if len(raw) > MAX_PRICE_ITEMS:
        fields["price_items"] = f"Use at most {MAX_PRICE_ITEMS} price items."
        return []
    items = [_price_item(item, f"price_items.{i}", fields) for i, item in enumerate(raw)]
    items = [item for item in items if item is not None]
    names = [i["name"].casefold() for i in items if i["name"]]
    if len(names) != len(set(names)):
        fields.setdefault("price_items", "Each price item needs a different name.")
    return items


def _pricing_models(raw, fields: dict) -> list[str]:
    raw = raw or []
    if not isinstance(raw, list) or not all(isinstance(m, str) for m in raw):
        fields["pricing_models"] = "Must be a list of pricing models."
        return []
    for i, model in enumerate(raw):
        parse_choice(model, f"pricing_models.{i}", fields, PRICING_MODELS, what="pricing model")
    return [m for m in PRICING_MODELS if m in raw]


def clean_listing_data(data: dict, *, partial: bool = False, current: dict | None = None) -> dict:
    """Validate listing input; returns clean content or raises ValidationFailed with every problem.

    With `partial` (PATCH), absent fields keep their `current` values.
    """
    if partial and current is not None:
        data = {**current, **data}
    fields: dict[str, str] = {}
    for name in sorted(set(data) - set(CONTENT_FIELDS) - {"price_items"}):
        fields[name] = "This field is not allowed."
    clean = {
        "title": clean_text(data.get("title"), "title", fields, limit=TITLE_MAX, required=True),
        "summary": clean_text(data.get("summary"), "summary", fields, limit=SUMMARY_MAX, required=True),
        "description": clean_text(data.get("description"), "description", fields, limit=DESCRIPTION_MAX),
        "category": parse_choice(data.get("category"), "category", fields, CATEGORIES, what="category"),
        "tags": clean_words(data.get("tags"), "tags", fields, max_items=MAX_TAGS, item_limit=TAG_MAX),
        "pricing_models": _pricing_models(data.get("pricing_models"), fields),
        "standards": clean_words(data.get("standards"), "standards", fields, max_items=MAX_STANDARDS,
                                 item_limit=STANDARD_MAX),
        "price_items": clean_price_items(data.get("price_items"), fields),
    }
    raise_if(fields, PROBLEMS)
    return clean


def check_item_ids(listing: Listing | None, clean: dict) -> None:
    """Every price item id given must be an active item of this listing (ids are stable: vehicles and
    orders refer to them)."""
    known = {p.id for p in listing.active_price_items} if listing else set()
    bad = {f"price_items.{i}.id": "No such price item on this listing."
           for i, item in enumerate(clean["price_items"]) if item["id"] is not None and item["id"] not in known}
    if bad:
        raise ValidationFailed(PROBLEMS, bad)


def jsonable_content(clean: dict) -> dict:
    """Clean content as stored in a revision's `proposed` (prices as strings)."""
    content = {k: v for k, v in clean.items() if k != "price_items"}
    content["price_items"] = [
        {"id": i["id"], "name": i["name"], "unit": i["unit"], "list_price": str(i["list_price"])}
        for i in clean["price_items"]
    ]
    return content
