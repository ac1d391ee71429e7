"""Side-by-side differences between the live content of a listing and a proposed one, and the prices a
content would put below a contract price of an active vehicle (flagged in the admin's diff)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from catalog.listings.models import CATEGORIES, PRICING_MODELS
from catalog.listings.queries import ContractPrice
from marketplace.formats import money

LABELS = {
    "title": "Title",
    "summary": "Summary",
    "description": "Description",
    "category": "Category",
    "pricing_models": "Pricing models",
    "tags": "Tags",
    "standards": "Standards and APIs",
    "price_items": "Price items",
}


@dataclass
class DiffRow:
    label: str
    old: Markup
    new: Markup
    changed: bool


def _display(name: str, value) -> str:
    if name == "category":
        return CATEGORIES.get(value, value or "")
    if name == "pricing_models":
        return ", ".join(PRICING_MODELS.get(m, m) for m in value)
    if name in ("tags", "standards"):
        return ", ".join(value)
    if name == "price_items":
        return "\n".join(f"{i['name']} — {i['unit']} — {money(i['list_price'])}" for i in value)
    return value or ""


def _words(text: str) -> list[str]:
    return text.replace("\n", " \n ").split(" ")


def _highlight(old: str, new: str) -> tuple[Markup, Markup]:
    """Word-level differences: removed words marked in the old column, added words in the new."""
    a, b = _words(old), _words(new)
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        old_part, new_part = escape(" ".join(a[i1:i2])), escape(" ".join(b[j1:j2]))
        if op == "equal":
            left.append(old_part)
            right.append(new_part)
            continue
        if i2 > i1:
            left.append(Markup('<del class="diff-old">{}</del>').format(old_part))
        if j2 > j1:
            right.append(Markup('<ins class="diff-new">{}</ins>').format(new_part))
    join = Markup(" ")
    return (join.join(left).replace("\n", Markup("<br>")), join.join(right).replace("\n", Markup("<br>")))


def diff_content(current: dict | None, proposed: dict) -> list[DiffRow]:
    """One row per field; `current` None means a first submission (everything is new)."""
    rows = []
    for name, label in LABELS.items():
        new = _display(name, proposed.get(name))
        old = _display(name, current.get(name)) if current is not None else ""
        if old == new:
            rows.append(DiffRow(label, escape(old).replace("\n", Markup("<br>")),
                                escape(new).replace("\n", Markup("<br>")), False))
        else:
            left, right = _highlight(old, new)
            rows.append(DiffRow(label, left, right, True))
    return rows


@dataclass(frozen=True)
class PriceConflict:
    """A list price (proposed, or live) below the contract price of an active vehicle on the same item."""

    price_item_id: int
    item: str
    new_list_price: Decimal
    contract_price: Decimal
    vehicle_id: int
    vehicle_number: str

    @property
    def sentence(self) -> str:
        return (f"{self.item}: the list price {money(self.new_list_price)} is below the contract price "
                f"{money(self.contract_price)} on vehicle {self.vehicle_number}")

    def as_json(self) -> dict:
        return {"price_item_id": self.price_item_id, "item": self.item, "new_list_price": str(self.new_list_price),
                "contract_price": str(self.contract_price), "vehicle_id": self.vehicle_id,
                "vehicle_number": self.vehicle_number}


def price_conflicts(content: dict, contract_prices: list[ContractPrice]) -> list[PriceConflict]:
    """The items of `content` (a listing's content in the API's shape: a pending revision's proposal, or
    the live content) whose list price is below a contract price of an active vehicle, by item then
    vehicle. New items (no id yet) cannot be on a schedule."""
    items = {item["id"]: item for item in content.get("price_items", []) if item.get("id") is not None}
    conflicts = []
    for line in contract_prices:
        item = items.get(line.price_item_id)
        if item is None:
            continue
        price = Decimal(str(item["list_price"]))
        if price < line.contract_price:
            conflicts.append(PriceConflict(line.price_item_id, item["name"], price, line.contract_price,
                                           line.vehicle_id, line.vehicle_number))
    order = {item_id: i for i, item_id in enumerate(items)}
    return sorted(conflicts, key=lambda c: (order[c.price_item_id], c.vehicle_number))
