"""The index's Whoosh schema, and how a listing dict becomes the values of its fields."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, TEXT, Schema

from catalog.search import fields
from catalog.search.spelling import STOP_WORDS

TEXT_FIELDS = ("body", "summary", "title")  # sorted: the key of a word's cached scores
WHOOSH_FILE = re.compile(r"_?MAIN_")  # the files of a Whoosh index named "MAIN" (the default)
# Whoosh's analyser, with the stop words every engine drops (the same as Whoosh's own list).
_STEM = StemmingAnalyzer(stoplist=STOP_WORDS)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def make_schema() -> Schema:
    # Facet and sort fields are sortable so their values sit in columns, read once per segment.
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        consortium_id=ID(stored=True, sortable=True),
        title=TEXT(analyzer=StemmingAnalyzer(), field_boost=3.0),
        summary=TEXT(analyzer=StemmingAnalyzer(), field_boost=1.5),
        # No positions in the long field: decoding them would double the cost of reading its
        # postings. A "phrase" is exact in title and summary, all-of-its-words in the body.
        body=TEXT(analyzer=StemmingAnalyzer(), phrase=False),
        category=ID(stored=True, sortable=True),
        pricing_model=KEYWORD(commas=True, stored=True, sortable=True),
        vendor=ID(stored=True, sortable=True),
        vendor_name=ID(stored=True, sortable=True),
        proven=ID(stored=True, sortable=True),
        sort_title=ID(sortable=True),
        # Sort keys: the lowest list price ("310.00", empty without prices) and when the listing was
        # published (microseconds since 1970, empty if unknown).
        min_price=ID(sortable=True),
        published=ID(sortable=True),
        # The average overall rating of published reviews ("4.5000000000", empty when unrated).
        rating=ID(sortable=True),
        # Unstemmed words as "<consortium>:<word>", so "did you mean" offers real words that exist in
        # the searcher's own consortium.
        spell=KEYWORD(),
    )


def document_fields(doc: dict) -> dict[str, str]:
    """Turn a listing dict (shape in ``catalog.search.fields``) into Whoosh field values."""
    consortium = str(int(doc["consortium_id"]))
    price = fields.lowest_price(doc)
    published = fields.published_at(doc)
    rating = fields.rating(doc)
    return {
        "id": str(int(doc["id"])),
        "consortium_id": consortium,
        "title": fields.title(doc),
        "summary": fields.summary(doc),
        "body": fields.body(doc),
        "category": doc.get("category") or "",
        "pricing_model": ",".join(doc.get("pricing_models") or ()),
        "vendor": str(doc.get("vendor_id") or ""),
        "vendor_name": doc.get("vendor_name") or "",
        "proven": "yes" if doc.get("proven") else "no",
        "sort_title": fields.sort_title(doc),
        "min_price": "" if price is None else str(price),
        "published": "" if published is None else str((published - _EPOCH) // timedelta(microseconds=1)),
        "rating": "" if rating is None else str(rating),
        "spell": " ".join(f"{consortium}:{w}" for w in fields.spelling_words(doc)),
    }


def _price(value: str) -> Decimal | None:
    return Decimal(value) if value else None


def stems(word: str) -> list[str]:
    """The indexed forms of a word, as the text fields analyse it."""
    return [token.text for token in _STEM(word)]


# Stored columns read per segment, converted to what ``results.Columns`` holds.
COLUMNS: dict[str, Callable[[str], object]] = {
    "id": lambda value: int(value) if value else 0,
    "category": str,
    "pricing_model": lambda value: tuple(value.split(",")) if value else (),
    "proven": str,
    "vendor": str,
    "vendor_name": str,
    "sort_title": str,
    "min_price": _price,
    "published": lambda value: int(value) if value else 0,
    "rating": _price,  # a Decimal, or None when unrated
}
