"""Catalog search, behind one interface so the engine (Whoosh today) can be replaced.

The rest of the application uses only this package (import-linter forbids ``catalog.search.engine``
outside it):

- ``search(consortium_id, q, **filters)`` ranks a consortium's published listings (a ``SearchResult``),
  rebuilding a missing or damaged index from the database on the way; ``load_published(ids)`` loads
  the listings behind the hits;
- ``reindex(progress)`` rebuilds the index from the database (``flask catalog reindex``);
- ``touch_listing(session, id)`` marks a listing for re-indexing after the next commit (flushes of
  listings, price items and pilots mark theirs already: see ``services``);
- ``SearchEngine`` is what an engine provides; ``get_engine()`` is the app's engine, and
  ``WhooshEngine`` the one engine so far.

Modules: ``query`` (cleaning what users typed), ``results`` (results, ranking and facet counts),
``services`` (the database side: indexing after commit, rebuilds), ``cli``, and ``engine`` (Whoosh).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from catalog.search.engine import WhooshEngine
from catalog.search.query import MAX_PER_PAGE, clean_query
from catalog.search.results import FACETS, IndexUnavailable, SearchResult
from catalog.search.services import get_engine, load_published, reindex, search, touch_listing

__all__ = [
    "FACETS", "MAX_PER_PAGE", "IndexUnavailable", "SearchEngine", "SearchResult", "WhooshEngine", "clean_query",
    "get_engine", "load_published", "reindex", "search", "touch_listing",
]


@runtime_checkable
class SearchEngine(Protocol):
    """A full-text index of published listings, fed plain dicts (shape: ``services.document``).

    It is derived data: ``rebuild`` recreates it from the database at any time, and every other
    method raises ``IndexUnavailable`` (after logging why) when the index cannot be used, so the
    caller rebuilds and retries. One instance per process and index, safe to share between threads.
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
    ) -> SearchResult:
        """Rank the consortium's listings for ``q`` (empty: all, by title) within the filters.

        All words must match, else any word; facets are counted before paging, each under the
        other filters. Whatever a user typed in ``q``, the filters or the paging, it answers: junk
        is cleaned by ``query.search_request``, never raised."""
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
