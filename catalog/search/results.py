"""What a search answers, and the arithmetic behind it that needs no index: ranking and facet counts.

Documents are numbered 0..n-1 within one version of an index; ``Columns`` holds their stored values
(listing id, facet values, sort title) by number, and sets of document numbers stand for matches and
filters. Set operations run in C, which keeps a broad search at 50,000 listings within a few
milliseconds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from heapq import nsmallest
from itertools import chain, repeat
from operator import add, neg

FACETS = ("category", "pricing_model", "proven", "vendor")
MULTI_VALUED = frozenset({"pricing_model"})  # a listing offers several pricing models
BROAD_RESULT = 2000  # above this many matches, facets are counted by set intersections


class IndexUnavailable(Exception):
    """The search index is missing, empty or unreadable: rebuild it from the database."""


@dataclass
class SearchResult:
    ids: list[int]
    total: int
    facets: dict[str, dict[str, int]]
    page: int
    per_page: int
    suggestion: str | None = None
    sort: str = "relevance"  # the order the ids are in (``query.SORTS``)
    vendor_names: dict[str, str] = field(default_factory=dict)  # labels for facets["vendor"]


class Columns:
    """Stored values of every document of one index version, by document number (deleted ones
    included: ``deleted`` names them). ``values[name]`` is one list per field; a multi-valued
    field's entries are tuples."""

    def __init__(self, values: dict[str, list], deleted: frozenset[int]):
        self.values = values
        self.deleted = deleted
        self.ids: list[int] = values["id"]
        self.sort_key = list(zip(values["sort_title"], self.ids, strict=True))
        self._groups: dict[str, dict[str, frozenset[int]]] = {}
        self._vendor_names: dict[str, str] | None = None
        self._order_keys: dict[str, list] = {}

    def order_key(self, sort: str) -> list:
        """Sort keys by document number for ``sort`` ("price": cheapest first, listings without a
        price last; "newest": latest published first; "rating": highest average rating first, unrated
        last, then newest), then title and id: a total order. Built once per index version."""
        keys = self._order_keys.get(sort)
        if keys is None:
            if sort == "price":
                prices = self.values["min_price"]
                keys = [(price is None, price or 0, title) for price, title in zip(prices, self.sort_key, strict=True)]
            elif sort == "rating":
                keys = [(rating is None, -(rating or 0), -published, title) for rating, published, title in
                        zip(self.values["rating"], self.values["published"], self.sort_key, strict=True)]
            else:
                keys = [(-published, title) for published, title in zip(self.values["published"], self.sort_key,
                                                                         strict=True)]
            self._order_keys[sort] = keys
        return keys

    def groups(self, name: str) -> dict[str, frozenset[int]]:
        """Live documents per value of one facet, built once per index version, so counting a facet
        over a broad result is a few set intersections (in C) instead of a pass over every match."""
        groups = self._groups.get(name)
        if groups is None:
            found: dict[str, list[int]] = {}
            for doc, value in enumerate(self.values[name]):
                for item in value if name in MULTI_VALUED else (value,):
                    if item:
                        found.setdefault(item, []).append(doc)
            groups = {value: frozenset(docs) - self.deleted for value, docs in found.items()}
            self._groups[name] = groups
        return groups

    def vendor_name(self, vendor: str) -> str:
        if self._vendor_names is None:
            self._vendor_names = dict(zip(self.values["vendor"], self.values["vendor_name"], strict=True))
        return self._vendor_names.get(vendor, "")


def all_of(docsets: list) -> set[int]:
    """The documents in every one of ``docsets`` (smallest first, so the work is the least)."""
    if not docsets:
        return set()
    docsets = sorted(docsets, key=len)
    return set(docsets[0]).intersection(*docsets[1:])


def restrict(docs, filter_docs: dict[str, frozenset[int]]) -> set[int]:
    return set(docs).intersection(*filter_docs.values())


def top(columns: Columns, selected: set[int], scorers: list[dict[int, float]], count: int,
        sort: str = "relevance") -> list[int]:
    """The first ``count`` documents in ``sort`` order. "relevance": by score (desc), then sort title,
    then id: a total order, so equal scores always come out the same way. A document's score is the
    sum of its entries in ``scorers``; scores are rounded so float noise cannot reorder. No scorers:
    by title. "price", "newest" and "rating": see ``Columns.order_key``."""
    docs = list(selected)
    if sort in ("price", "newest", "rating"):
        return nsmallest(count, docs, key=columns.order_key(sort).__getitem__)
    if not scorers:
        return nsmallest(count, docs, key=columns.sort_key.__getitem__)
    totals = list(map(scorers[0].get, docs, repeat(0.0)))
    for scores in scorers[1:]:
        totals = list(map(add, totals, map(scores.get, docs, repeat(0.0))))
    keys = zip(map(neg, map(round, totals, repeat(6))), map(columns.sort_key.__getitem__, docs), docs, strict=True)
    return [docnum for *_, docnum in nsmallest(count, keys)]


def facet_counts(columns: Columns, matched, filter_docs: dict[str, frozenset[int]]) -> dict[str, dict[str, int]]:
    """Listings per value of each facet, most first. Each facet counts the query's matches under
    every *other* active filter, so choosing a category still shows how many listings the other
    categories hold."""
    facets = {}
    for name in FACETS:
        others = [docs for other, docs in filter_docs.items() if other != name]
        docs = set(matched).intersection(*others) if others else matched
        if len(docs) > BROAD_RESULT:
            docs = docs if isinstance(docs, set | frozenset) else set(docs)
            # CPython iterates the smaller of the two sets
            counts = Counter({value: n for value, group in columns.groups(name).items() if (n := len(group & docs))})
        else:
            values = map(columns.values[name].__getitem__, docs)
            counts = Counter(chain.from_iterable(values) if name in MULTI_VALUED else values)
        counts.pop("", None)
        facets[name] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return facets
