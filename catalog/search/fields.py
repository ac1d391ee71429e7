"""How a listing document (``services.document``) reads to every engine: the text searched at each
weight, the title it sorts by, its spelling words, its lowest price and its publication time.

Documents are plain dicts::

    {"id": int, "consortium_id": int, "title": str, "summary": str, "description": str,
     "tags": [str], "standards": [str], "price_item_names": [str], "category": str,
     "pricing_models": [str], "vendor_id": int, "vendor_name": str, "proven": bool,
     "min_price": Decimal | str | None, "published_at": datetime | str | None,
     "rating": Decimal | str | None}

The title weighs most, then the summary, then the body (everything else a buyer may type).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from catalog.search.spelling import vocabulary

SORT_TITLE_MAX = 200
# The rating sort key: an average of whole ratings 1–5, kept to 10 places (two different averages of
# fewer than a billion reviews never round to the same key).
RATING_PLACES = 10
RATING_DIGITS = RATING_PLACES + 2


def title(doc: dict) -> str:
    return doc.get("title") or ""


def summary(doc: dict) -> str:
    return doc.get("summary") or ""


def body(doc: dict) -> str:
    """The description, tags, standards, price item names and vendor name, as one text."""
    return " ".join([
        doc.get("description") or "",
        *(doc.get("tags") or ()),
        *(doc.get("standards") or ()),
        *(doc.get("price_item_names") or ()),
        doc.get("vendor_name") or "",
    ])


def sort_title(doc: dict) -> str:
    """What ties sort by (then the id): the title, case-folded, compared character by character."""
    return title(doc).casefold().strip()[:SORT_TITLE_MAX]


def spelling_words(doc: dict) -> list[str]:
    """The listing's words "did you mean" may offer (see ``spelling.vocabulary``)."""
    return vocabulary(title(doc), summary(doc), body(doc))


def lowest_price(doc: dict) -> Decimal | None:
    """``min_price`` as a Decimal; None when missing or not a price."""
    value = doc.get("min_price")
    try:
        price = Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None
    return price if price is not None and price.is_finite() and price >= 0 else None


def published_at(doc: dict) -> datetime | None:
    """``published_at`` as an aware datetime (naive ones are UTC, ISO 8601 text is read); else None."""
    value = doc.get("published_at")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def rating(doc: dict) -> Decimal | None:
    """``rating`` (the average overall rating of the published reviews) as a Decimal to ``RATING_PLACES``
    places; None when the listing has no published review or the value is not a rating."""
    value = doc.get("rating")
    try:
        average = Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None
    if average is None or not average.is_finite() or not 0 <= average <= 5:
        return None
    return average.quantize(Decimal(1).scaleb(-RATING_PLACES))
