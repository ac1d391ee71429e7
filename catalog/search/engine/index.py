"""``WhooshEngine``: the catalog's index on disk, written after commits, rebuilt at will, searched.

The index is derived data: the caller feeds it plain dicts built from the database after each commit
(``index``/``remove``) and can always ``rebuild`` it from scratch. It needs no app and no database,
so the engine can be tested and benchmarked on its own.

When the index is missing or unreadable, ``search``/``index``/``remove`` raise ``IndexUnavailable``
(after logging the cause) instead of answering with an empty page; the caller logs, rebuilds and
retries.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import EmptyIndexError

from catalog.search.engine.directory import IndexDirectory
from catalog.search.engine.evaluation import closest_word, evaluate, whoosh_query
from catalog.search.engine.schema import TEXT_FIELDS, WHOOSH_FILE, document_fields, make_schema, stems
from catalog.search.engine.snapshot import Segment, Snapshot, close_quietly, postings
from catalog.search.query import SearchRequest, search_request
from catalog.search.results import IndexUnavailable, SearchResult, facet_counts, restrict, top
from catalog.search.spelling import suggest
from catalog.search.synonyms import Synonyms, synonym_table
from catalog.search.syntax import parse

log = logging.getLogger(__name__)

WRITE_LOCK_TIMEOUT = 30.0  # seconds an index() or remove() waits for another process's writer
PROGRESS_EVERY = 1000
# Scored postings kept per index version: 12 bytes each compact, plus a tenth of them as dicts
# (~90 bytes each), so about 36 + 27 MB at most.
DEFAULT_CACHED_POSTINGS = 3_000_000


class WhooshEngine:
    """The catalog's search index in ``index_dir`` (which need not exist until the first rebuild).

    Documents are plain dicts (shape: ``catalog.search.fields``); the lowest list price and the
    publication time order results by price and by newest (a document without them sorts last).
    Queries mean what ``catalog.search.syntax`` says, with ``synonyms`` (default: the table in
    ``catalog.search.synonyms``).

    ``index_dir`` is a symlink to the live build (see ``IndexDirectory``), so ``rebuild`` swaps a
    complete new index in atomically. Share one instance per process: it keeps an open searcher and
    refreshes it when the index changes (another process's writes included). Calls are serialised by
    a lock, so threads may share it too.
    """

    def __init__(self, index_dir: str | Path, cached_postings: int = DEFAULT_CACHED_POSTINGS,
                 synonyms: Synonyms | None = None):
        self.directory = IndexDirectory(index_dir, own_files=WHOOSH_FILE)
        self.path = self.directory.path
        self.schema = make_schema()
        self.synonyms = synonym_table() if synonyms is None else synonyms
        self._cached_postings = cached_postings
        self._lock = threading.RLock()
        self._current: Snapshot | None = None
        self._segments: dict[str, Segment] = {}

    # ----------------------------------------------------------------------------------- writing

    def index(self, docs: Iterable[dict]) -> int:
        """Add or replace the given listings in one commit; returns how many were written."""
        fields = [document_fields(doc) for doc in docs]
        if not fields:
            return 0
        with self._writer() as writer:
            for values in fields:
                writer.update_document(**values)
        return len(fields)

    def remove(self, ids: Iterable[int]) -> int:
        """Remove listings by id (unknown ids are ignored); returns how many ids were given."""
        keys = [str(int(listing_id)) for listing_id in ids]
        if not keys:
            return 0
        with self._writer() as writer:
            for key in keys:
                writer.delete_by_term("id", key)
        return len(keys)

    @contextmanager
    def _writer(self) -> Iterator:
        with self._lock:
            ix = self._open_index()
            try:
                writer = ix.writer(timeout=WRITE_LOCK_TIMEOUT)
            except Exception as exc:
                raise self._unavailable("cannot lock the index for writing", exc) from exc
            try:
                yield writer
            except Exception as exc:  # documents are converted before, so this is Whoosh failing
                writer.cancel()
                raise self._unavailable("cannot write to the index", exc) from exc
            except BaseException:
                writer.cancel()
                raise
            try:
                writer.commit()
            except Exception as exc:
                raise self._unavailable("cannot commit to the index", exc) from exc

    def rebuild(
        self,
        docs: Iterable[dict],
        total: int | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> int:
        """Index ``docs`` into a fresh directory, then swap it in atomically; returns the doc count.

        ``progress(n)`` is called with the number of documents added since the previous call (the
        shape of ``tqdm.update``), every ``PROGRESS_EVERY`` documents or a hundredth of ``total``.
        Readers keep using the old index until the swap. Works whatever state the current index is
        in, which makes it the cure for ``IndexUnavailable``.
        """
        build_dir = self.directory.new_build()
        started = time.monotonic()
        count = pending = 0
        step = max(1, min(PROGRESS_EVERY, (total or 0) // 100 or PROGRESS_EVERY))
        try:
            ix = whoosh_index.create_in(os.fspath(build_dir), self.schema)
            writer = ix.writer(procs=1, limitmb=256)
            try:
                for doc in docs:
                    writer.add_document(**document_fields(doc))
                    count += 1
                    pending += 1
                    if progress is not None and pending >= step:
                        progress(pending)
                        pending = 0
                if progress is not None and pending:
                    progress(pending)
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            ix.close()
            with self._lock:
                self.directory.swap_in(build_dir)
                self._drop_snapshot()
        except BaseException:
            self.directory.discard(build_dir)
            raise
        log.info("search index rebuilt at %s: %d listings in %.1f s (expected %s)",
                 self.path, count, time.monotonic() - started, "?" if total is None else total)
        self.directory.remove_stale_builds(keep=build_dir)
        return count

    # ----------------------------------------------------------------------------------- reading

    def health(self) -> bool:
        """True when the index opens and answers; never raises (failures are logged)."""
        try:
            with self._lock:
                snapshot = self._snapshot()
                snapshot.searcher.doc_count()
                for segment, _offset in snapshot.leaves:
                    postings(segment.leaf, "consortium_id", "0")
            return True
        except Exception:  # a health check answers, it does not raise
            return False

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
        """Order the consortium's listings matching ``q`` within the given filters by ``sort``
        (``query.SORTS``; relevance by default with a query, newest without).

        Words must all match; if no listing has them all, any word will do. Facet counts are taken
        before pagination, each under the *other* active filters. Junk input (see ``query``) never
        raises.
        """
        request = search_request(consortium_id, q, category, pricing_model, proven, vendor_id, page, per_page, sort)
        with self._lock:
            snapshot = self._snapshot()
            try:
                return self._search(snapshot, request)
            except Exception as exc:
                self._drop_snapshot()
                raise self._unavailable("search failed", exc) from exc

    def _search(self, snap: Snapshot, request: SearchRequest) -> SearchResult:
        in_consortium = snap.docs("consortium_id", request.consortium)
        filter_docs = {name: frozenset() if value is None else snap.docs(name, value)
                       for name, value in request.filters.items()}
        text = request.text
        matched, scorers = in_consortium, []
        if text:
            matched, scorers = self._match(snap, text, "and", in_consortium)
            if not restrict(matched, filter_docs) and len(text.split()) > 1:
                matched, scorers = self._match(snap, text, "or", in_consortium)
        selected = restrict(matched, filter_docs)
        end, per_page = request.end, request.per_page
        ranked = top(snap.columns, selected, scorers, end, request.sort) if end - per_page < len(selected) else []
        facets = facet_counts(snap.columns, matched, filter_docs)
        return SearchResult(
            ids=[snap.columns.ids[docnum] for docnum in ranked[end - per_page:]],
            total=len(selected),
            facets=facets,
            page=request.page,
            per_page=per_page,
            sort=request.sort,
            suggestion=self._suggest(snap, request.consortium, text, in_consortium) if text else None,
            vendor_names={vendor: snap.columns.vendor_name(vendor) for vendor in facets["vendor"]},
        )

    def _match(self, snap: Snapshot, text: str, mode: str, universe: frozenset[int]):
        """(documents of ``universe`` matching the query, score dicts of its positive terms)."""
        node = parse(text, mode, self.synonyms)
        if node is None:  # only stop words or operators: like an empty search
            return universe, []
        docs, scorers = evaluate(snap, whoosh_query(node), universe)
        return universe.intersection(docs), scorers

    def _suggest(self, snap: Snapshot, consortium: str, text: str,
                 in_consortium: frozenset[int]) -> str | None:
        """Did you mean (``spelling.suggest``) with this consortium's words."""

        def known(words: list[str]) -> list[str]:
            # The word itself, or another form of it ("lights" for "lighting").
            return [word for word in words if ("spell", f"{consortium}:{word}") in snap.reader
                    or any(not in_consortium.isdisjoint(snap.scores(TEXT_FIELDS, stem).keys())
                           for stem in stems(word))]

        def finds(corrected: str) -> bool:
            for mode in ("and", "or"):
                matched, _ = self._match(snap, corrected, mode, in_consortium)
                if matched and matched is not in_consortium:
                    return True
            return False

        return suggest(text, known, lambda word: closest_word(snap, consortium, word), finds,
                       self.synonyms.covers)

    # ------------------------------------------------------------------------- opening / health

    def _snapshot(self) -> Snapshot:
        """The current snapshot, refreshed if the index changed or a rebuild swapped it."""
        try:
            key = self.directory.key()
        except OSError as exc:
            self._drop_snapshot()
            raise self._unavailable("index directory is missing", exc) from exc
        current = self._current
        searcher = None
        try:
            if current is not None and current.dir_key == key:
                searcher = current.searcher.refresh()  # closes what the new version does not reuse
                if searcher is current.searcher:
                    return current
            else:
                self._drop_snapshot()
                searcher = self._open_index().searcher()
            self._current = Snapshot(searcher, key, self._segments, self._cached_postings)
        except Exception as exc:
            self._drop_snapshot()
            if searcher is not None:
                close_quietly(searcher)
            if isinstance(exc, IndexUnavailable):
                raise
            raise self._unavailable("cannot open the index", exc) from exc
        return self._current

    def _open_index(self):
        try:
            # No mmap: a segment file truncated in place under a mapped reader kills the process
            # with SIGBUS, where a plain read raises an error we can report (and rebuild after).
            ix = FileStorage(os.fspath(self.path), supports_mmap=False).open_index()
        except Exception as exc:
            raise self._unavailable("cannot open the index", exc) from exc
        missing = set(self.schema.names()) - set(ix.schema.names())
        if missing:
            raise self._unavailable("index schema is out of date", ValueError(f"missing {sorted(missing)}"))
        return ix

    def _drop_snapshot(self) -> None:
        if self._current is not None:
            self._current.close()
        self._current = None
        self._segments.clear()

    def _unavailable(self, what: str, cause: BaseException) -> IndexUnavailable:
        if isinstance(cause, EmptyIndexError):  # never built yet (a fresh install): expected, no traceback
            log.info("search index %s does not exist yet: %s", self.path, what)
        else:
            log.error("search index %s unavailable: %s: %r", self.path, what, cause, exc_info=cause)
        return IndexUnavailable(f"{what}: {cause!r}")
