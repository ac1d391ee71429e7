"""Catalog search, behind one interface, served by one of two engines (``SEARCH_ENGINE``).

The rest of the application uses only this package (import-linter forbids ``catalog.search.engine``
outside it):

- ``search(consortium_id, q, **filters)`` orders a consortium's published listings (a
  ``SearchResult``) in one of the ``SORTS`` (``sort_order`` picks the default), rebuilding a missing
  or damaged index from the database on the way; ``load_published(ids)`` loads the listings behind
  the hits;
- ``reindex(progress)`` rebuilds the index from the database (``flask catalog reindex``);
- ``touch_listing(session, id)`` marks a listing for re-indexing after the next commit (flushes of
  listings, price items and pilots mark theirs already: see ``services``);
- ``SearchEngine`` is what an engine provides; ``get_engine()`` is the app's engine:
  ``WhooshEngine`` (an index folder, the default on SQLite) or ``PostgresEngine`` (rows of the
  application's PostgreSQL database, written in the same transaction as the listing change; the
  default on PostgreSQL).

Both engines answer the same query the same way (``tests/catalog/search/test_engine_contract.py``):
they share the cleaning (``query``), the grammar with its synonym groups (``syntax``, ``synonyms``),
what a listing's text is (``fields``) and the "did you mean" rules (``spelling``). Other modules:
``results`` (results, ranking and facet counts for Whoosh), ``services`` (the database side: writing
documents, rebuilds), ``models`` (the PostgreSQL engine's tables), ``cli``, ``engine`` (Whoosh) and
``pg`` (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from catalog.search.engine import WhooshEngine
from catalog.search.pg import PostgresEngine
from catalog.search.query import MAX_PER_PAGE, SORTS, clean_query, sort_order
from catalog.search.results import FACETS, IndexUnavailable, SearchResult
from catalog.search.services import get_engine, load_published, reindex, search, touch_listing
from catalog.search.synonyms import SYNONYMS, Synonyms, synonym_table

__all__ = [
    "FACETS", "MAX_PER_PAGE", "SORTS", "SYNONYMS", "IndexUnavailable", "PostgresEngine", "SearchEngine",
    "SearchResult", "Synonyms", "WhooshEngine", "clean_query", "get_engine", "load_published", "reindex", "search",
    "sort_order", "synonym_table", "touch_listing",
]


@runtime_checkable
class SearchEngine(Protocol):
    """A full-text index of published listings, fed plain dicts (shape: ``fields``).

    It is derived data: ``rebuild`` recreates it from the database at any time, and every other
    method raises ``IndexUnavailable`` (after logging why) when the index cannot be used, so the
    caller rebuilds and retries (the Whoosh engine; the PostgreSQL engine's index is part of the
    database, so it cannot fall behind it). One instance per process and index, safe to share
    between threads. An engine whose ``in_transaction`` is true writes in the caller's transaction:
    ``services.search`` first writes the documents the transaction changed.
    """

    def index(self, docs: Iterable[dict]) -> int:
        """Add or replace these listings at once; returns how many were written."""
        ...

    def remove(self, ids: Iterable[int]) -> int:
        """Remove these listings (unknown ids are ignored); returns how many ids were given."""
        ...

    def search(
        self,
        consortium_id: int,
        q: str = "",
        category: str | None = None,
        pricing_model: str | None = None,
        proven: bool | None = None,
        vendor_id: int | str | None = None,
        page: int = 1,
        per_page: int = 20,
        sort: str | None = None,
    ) -> SearchResult:
        """The consortium's listings matching ``q`` within the filters, in ``sort`` order (one of
        ``SORTS``: "relevance" by score, the default with a query; "price" by the lowest list price,
        cheapest first, listings without a price last; "newest" by publication, the default without
        a query), ties broken by title then id, so paging is stable.

        All words must match, else any word; facets are counted before paging, each under the
        other filters. Whatever a user typed in ``q``, the filters, the sort or the paging, it
        answers: junk is cleaned by ``query.search_request``, never raised."""
        ...

    def rebuild(
        self,
        docs: Iterable[dict],
        total: int | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> int:
        """Replace the whole index with ``docs`` (readers keep the old one until it is complete);
        ``progress(n)`` reports ``n`` more documents written. Returns how many were indexed."""
        ...

    def health(self) -> bool:
        """True when the index can be searched; never raises."""
        ...
