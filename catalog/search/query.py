"""What a search asks for, from whatever the user typed: pure functions shared by every engine.

An engine receives the raw arguments of ``search`` (a query string, facet filters, paging) and turns
them into a ``SearchRequest`` here first, so junk never reaches the index: the query keeps only
words, balanced "phrases" and AND/OR/NOT; page numbers are ASCII digits (anything else is the first
page, as ``marketplace.inputs`` rules); a filter value that is not clean text matches nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from marketplace.inputs import parse_id, text_problem, whole_number

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_PAGE = 10**9  # further than any result goes: such a page is simply empty
MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 16  # each new word may cost a read of its postings: bound the work per query
FILTER_MAX_CHARS = 200  # longer than any category, pricing model or id
# How results can be ordered: by score, by the lowest list price (cheapest first), by publication
# (newest first), by rating (the highest average overall rating of published reviews first, unrated last,
# ties newest first).
SORTS = ("relevance", "price", "newest", "rating")

# Everything but word characters, whitespace, double quotes (phrases), hyphens and dots ("2.0.1")
# is query syntax we do not offer: fields, wildcards, ranges, boosts, groups, fuzzy terms.
_QUERY_JUNK = re.compile(r'[^\w\s".\-]')
QUERY_TOKEN = re.compile(r'"[^"]*"|[^\s"]+')
WORD = re.compile(r"[^\W\d_]+")
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SearchRequest:
    """A search, cleaned. ``filters`` holds the active facet filters (index field -> value); a value
    of None is a filter given with a value no listing can have, so nothing matches it."""

    consortium: str
    text: str
    filters: dict[str, str | None]
    page: int
    per_page: int
    sort: str = "newest"

    @property
    def end(self) -> int:
        """How many ranked listings the page needs: everything before it, and itself."""
        return self.page * self.per_page


def search_request(
    consortium_id: int,
    q: object = "",
    category: object = None,
    pricing_model: object = None,
    proven: object = None,
    vendor_id: object = None,
    page: object = 1,
    per_page: object = DEFAULT_PER_PAGE,
    sort: object = None,
) -> SearchRequest:
    """Clean the arguments of a search; never raises for anything a user may have typed."""
    filters: dict[str, str | None] = {}
    for name, raw in (("category", category), ("pricing_model", pricing_model)):
        if raw not in (None, ""):
            filters[name] = _filter_text(raw)
    if proven is not None:
        filters["proven"] = "yes" if truthy(proven) else "no"
    if vendor_id not in (None, ""):
        vendor = parse_id(vendor_id)
        filters["vendor"] = None if vendor is None else str(vendor)
    text = clean_query(q)
    return SearchRequest(
        consortium=str(int(consortium_id)),
        text=text,
        filters=filters,
        page=page_number(page),
        per_page=page_size(per_page),
        sort=sort_order(sort, text),
    )


def sort_order(raw: object, text: str = "") -> str:
    """The order asked for, one of ``SORTS``: relevance by default when there is a query, newest
    otherwise (and for "relevance" without a query, which has nothing to rank by)."""
    default = "relevance" if text else "newest"
    if raw not in SORTS or (raw == "relevance" and not text):
        return default
    return raw


def clean_query(q: object) -> str:
    """Reduce user input to words, balanced "phrases" and AND/OR/NOT (at most ``MAX_QUERY_TERMS``)."""
    if not isinstance(q, str):
        return ""
    # Junk first: it removes control characters and lone surrogates, which NFC would choke on.
    text = unicodedata.normalize("NFC", _QUERY_JUNK.sub(" ", q[:MAX_QUERY_CHARS]))
    if text.count('"') % 2:
        text = text.replace('"', " ")
    tokens = [t for t in QUERY_TOKEN.findall(text) if re.search(r"[^\W_]", t)]
    return " ".join(tokens[:MAX_QUERY_TERMS])


def page_number(raw: object) -> int:
    """The page asked for; anything but a whole number from 1 (ASCII digits) is the first page."""
    return whole_number(raw, low=1, high=MAX_PAGE) or 1


def page_size(raw: object) -> int:
    """Listings per page: ``DEFAULT_PER_PAGE`` unless a whole number is given, kept within 1 and
    ``MAX_PER_PAGE``."""
    size = whole_number(raw, low=0, high=MAX_PAGE)
    return DEFAULT_PER_PAGE if size is None else min(MAX_PER_PAGE, max(1, size))


def truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


def _filter_text(raw: object) -> str | None:
    if not isinstance(raw, str) or len(raw) > FILTER_MAX_CHARS or text_problem(raw):
        return None
    return unicodedata.normalize("NFC", raw)
