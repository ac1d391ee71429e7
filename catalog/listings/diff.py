"""Side-by-side differences between the live content of a listing and a proposed one."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from markupsafe import Markup, escape

from catalog.listings.models import CATEGORIES, PRICING_MODELS

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
        return "\n".join(f"{i['name']} — {i['unit']} — ${i['list_price']}" for i in value)
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
