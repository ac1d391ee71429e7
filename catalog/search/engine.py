"""Full-text catalog search, kept behind one class so the engine (Whoosh) stays replaceable.

The index is derived data: the caller feeds it plain dicts built from the database after each commit
(``upsert``/``delete``) and can always ``rebuild`` it from scratch. Nothing here imports Flask or the
database, so the engine can be tested and benchmarked on its own.

When the index is missing or unreadable, ``search``/``upsert``/``delete`` raise ``IndexUnavailable``
(after logging the cause) instead of answering with an empty page; the caller logs, rebuilds and
retries.

Speed: Whoosh's matchers are pure Python and cost about a microsecond per posting, far too slow for
common words at tens of thousands of listings. So Whoosh parses the query, stores the postings and
supplies the BM25F statistics, while this module evaluates the parsed query with set operations over
postings it reads once per index version and keeps in memory (``_Snapshot``). The score of a listing
is Whoosh's own BM25F sum over the query's words and fields (a test checks it against
``Searcher.search``).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from heapq import nsmallest
from itertools import accumulate, chain, repeat
from operator import add, neg
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import STOP_WORDS, StemmingAnalyzer
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import EmptyIndexError
from whoosh.matching import FilterMatcher
from whoosh.qparser import AndGroup, MultifieldParser, OperatorsPlugin, OrGroup, PhrasePlugin
from whoosh.reading import TermNotFound
from whoosh.spelling import ListCorrector
from whoosh.support.levenshtein import damerau_levenshtein

log = logging.getLogger(__name__)

MAX_PER_PAGE = 100
MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 16  # each new word may cost a read of its postings: bound the work per query
WRITE_LOCK_TIMEOUT = 30.0  # seconds an upsert waits for another process's writer
FACETS = ("category", "pricing_model", "proven", "vendor")
BROAD_RESULT = 2000  # above this many matches, facets are counted by set intersections
TEXT_FIELDS = ("body", "summary", "title")  # sorted: the key of a word's cached scores
PROGRESS_EVERY = 1000
STALE_BUILD_SECONDS = 3600  # leftovers of crashed rebuilds older than this are removed
# Scored postings kept per index version: 12 bytes each compact, plus a tenth of them as dicts
# (~90 bytes each), so about 36 + 27 MB at most.
DEFAULT_CACHED_POSTINGS = 3_000_000

_STEM = StemmingAnalyzer()
# Everything but word characters, whitespace, double quotes (phrases), hyphens and dots ("2.0.1")
# is Whoosh syntax we do not offer: fields, wildcards, ranges, boosts, groups, fuzzy terms.
_QUERY_JUNK = re.compile(r'[^\w\s".\-]')
_QUERY_TOKEN = re.compile(r'"[^"]*"|[^\s"]+')
_WORD = re.compile(r"[^\W\d_]+")
_WHOOSH_FILE = re.compile(r"_?MAIN_")  # the files of a Whoosh index named "MAIN" (the default)


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
    vendor_names: dict[str, str] = field(default_factory=dict)  # labels for facets["vendor"]


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
        # Unstemmed words as "<consortium>:<word>", so "did you mean" offers real words that exist in
        # the searcher's own consortium.
        spell=KEYWORD(),
    )


def document_fields(doc: dict) -> dict[str, str]:
    """Turn a listing dict (shape in ``CatalogIndex``'s docstring) into Whoosh field values."""
    consortium = str(int(doc["consortium_id"]))
    title = doc.get("title") or ""
    summary = doc.get("summary") or ""
    body = " ".join([
        doc.get("description") or "",
        *(doc.get("tags") or ()),
        *(doc.get("standards") or ()),
        *(doc.get("price_item_names") or ()),
        doc.get("vendor_name") or "",
    ])
    words = {w for w in _WORD.findall(f"{title} {summary} {body}".lower()) if _spellable(w)}
    return {
        "id": str(int(doc["id"])),
        "consortium_id": consortium,
        "title": title,
        "summary": summary,
        "body": body,
        "category": doc.get("category") or "",
        "pricing_model": ",".join(doc.get("pricing_models") or ()),
        "vendor": str(doc.get("vendor_id") or ""),
        "vendor_name": doc.get("vendor_name") or "",
        "proven": "yes" if doc.get("proven") else "no",
        "sort_title": title.casefold().strip()[:200],
        "spell": " ".join(f"{consortium}:{w}" for w in sorted(words)),
    }


def clean_query(q: object) -> str:
    """Reduce user input to words, balanced "phrases" and AND/OR/NOT (at most ``MAX_QUERY_TERMS``)."""
    if not isinstance(q, str):
        return ""
    text = _QUERY_JUNK.sub(" ", q[:MAX_QUERY_CHARS])
    if text.count('"') % 2:
        text = text.replace('"', " ")
    tokens = [t for t in _QUERY_TOKEN.findall(text) if re.search(r"[^\W_]", t)]
    return " ".join(tokens[:MAX_QUERY_TERMS])


def _spellable(word: str) -> bool:
    return 3 <= len(word) <= 30 and word not in STOP_WORDS


def _stems(word: str) -> list[str]:
    return [token.text for token in _STEM(word)]


# --------------------------------------------------------------------------------- index snapshot

_COLUMNS: dict[str, Callable[[str], object]] = {
    "id": lambda value: int(value) if value else 0,
    "category": str,
    "pricing_model": lambda value: tuple(value.split(",")) if value else (),
    "proven": str,
    "vendor": str,
    "vendor_name": str,
    "sort_title": str,
}


class _Segment:
    """Values that never change for one Whoosh segment (deletions aside): columns, field lengths."""

    def __init__(self, leaf):
        self.leaf = leaf
        self.size = leaf.doc_count_all()
        self.columns = {name: self._column(name, convert) for name, convert in _COLUMNS.items()}
        self._lengths: dict[str, list[int]] = {}

    def _column(self, name: str, convert: Callable[[str], object]) -> list:
        if self.leaf.has_column(name):
            return [convert(value) for value in self.leaf.column_reader(name)]
        return [convert("")] * self.size

    def lengths(self, fieldname: str) -> list[int]:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            length = self.leaf.doc_field_length
            lengths = [length(docnum, fieldname, 1) or 1 for docnum in range(self.size)]
            self._lengths[fieldname] = lengths
        return lengths


def _postings(leaf, fieldname: str, text: str, weights: bool = True) -> tuple[list[int], list[float]]:
    """Segment-local document numbers (deleted ones included) and weights of one term."""
    try:
        matcher = leaf.postings(fieldname, text)
    except TermNotFound:
        return [], []
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child  # deletions are handled by the caller, with set operations
    ids: list[int] = []
    found: list[float] = []
    if isinstance(matcher, W3LeafMatcher):
        # Whole blocks at a time (Whoosh's per-posting API costs ~1 us a call). Whoosh 2.7.4 is the
        # last release, so leaning on its block layout is safe; tests compare the results.
        while matcher.is_active():
            if matcher._data is None:
                matcher._read_data()
            block_ids = matcher._data[0]
            ids.extend(block_ids if matcher._byteids else accumulate(block_ids))  # delta-coded
            if weights:
                matcher._read_weights()
                found.extend(matcher._weights)
            matcher._next_block()
    else:  # short posting lists are stored inline
        while matcher.is_active():
            ids.append(matcher.id())
            if weights:
                found.append(matcher.weight())
            matcher.next()
    return ids, found


class _LRU:
    """Least-recently-used cache bounded by the total ``size`` of its values."""

    def __init__(self, budget: int):
        self.budget = budget
        self.size = 0
        self._items: OrderedDict[object, tuple[object, int]] = OrderedDict()

    def get(self, key):
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key, value, size: int) -> None:
        self._items[key] = (value, size)
        self.size += size
        while self.size > self.budget and len(self._items) > 1:
            _, (_, evicted) = self._items.popitem(last=False)
            self.size -= evicted


class _Snapshot:
    """One version of the index: its searcher, facet columns and postings read so far."""

    def __init__(self, searcher, dir_key: tuple[int, int], segments: dict[str, _Segment],
                 cached_postings: int):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.dir_key = dir_key
        self.leaves: list[tuple[_Segment, int]] = []
        live: dict[str, _Segment] = {}
        deleted: list[int] = []
        for leaf, offset in list(self.reader.leaf_readers()):
            if not leaf.doc_count_all():
                continue
            seg_id = leaf.segment().segment_id()
            segment = segments.get(seg_id) or _Segment(leaf)
            segment.leaf = leaf  # the refreshed searcher opened a new reader for the same segment
            live[seg_id] = segment
            self.leaves.append((segment, offset))
            deleted.extend(offset + docnum for docnum in leaf.segment().deleted_docs() or ())
        segments.clear()
        segments.update(live)  # forget merged-away segments
        self.deleted = frozenset(deleted)
        self.columns = {name: list(chain.from_iterable(s.columns[name] for s, _ in self.leaves))
                        for name in _COLUMNS}
        self.ids: list[int] = self.columns["id"]
        self.sort_key = list(zip(self.columns["sort_title"], self.ids, strict=True))
        self._filters: dict[tuple[str, str], frozenset[int]] = {}
        self._compact = _LRU(cached_postings)
        self._hot = _LRU(cached_postings // 10)
        self._vendor_names: dict[str, str] | None = None
        self._norms: dict[tuple[int, str], list[float]] = {}
        self._vocabularies: dict[str, ListCorrector] = {}
        self._facet_groups: dict[str, dict[str, frozenset[int]]] = {}

    def facet_groups(self, name: str) -> dict[str, frozenset[int]]:
        """Live documents per value of one facet, built once per index version, so counting a facet
        over a broad result is a few set intersections (in C) instead of a pass over every match."""
        groups = self._facet_groups.get(name)
        if groups is None:
            found: dict[str, list[int]] = {}
            column = self.columns[name]
            for doc, value in enumerate(column):
                for item in value if name == "pricing_model" else (value,):
                    if item:
                        found.setdefault(item, []).append(doc)
            groups = {value: frozenset(docs) - self.deleted for value, docs in found.items()}
            self._facet_groups[name] = groups
        return groups

    def docs(self, fieldname: str, value: str) -> frozenset[int]:
        """Live documents whose (untokenized) field has this value: consortium and facet filters."""
        key = (fieldname, value)
        docs = self._filters.get(key)
        if docs is None:
            found: list[int] = []
            for segment, offset in self.leaves:
                ids, _ = _postings(segment.leaf, fieldname, value, weights=False)
                found.extend(offset + docnum for docnum in ids)
            docs = frozenset(found) - self.deleted
            self._filters[key] = docs
        return docs

    def scores(self, fieldnames: tuple[str, ...], text: str) -> dict[int, float]:
        """BM25F score of one term summed over ``fieldnames``, for every document containing it.

        Read from the index once per version, then kept compact (12 bytes a posting) and, for the
        most recent terms, also as a dict ready for set operations and lookups.
        """
        key = (fieldnames, text)
        scores = self._hot.get(key)
        if scores is not None:
            return scores
        compact = self._compact.get(key)
        if compact is not None:
            scores = dict(zip(*compact, strict=True))
        else:
            scores = {}
            for fieldname in fieldnames:
                if (fieldname, text) in self.reader:
                    _add_field_scores(scores, self, fieldname, text)
            self._compact.put(key, (array("i", scores), array("d", scores.values())), len(scores))
        self._hot.put(key, scores, len(scores))
        return scores

    def length_norms(self, segment: _Segment, fieldname: str, scorer) -> list[float]:
        """``K1 * ((1 - B) + B * length / average length)`` per document: BM25's length term."""
        key = (id(segment), fieldname)
        norms = self._norms.get(key)
        if norms is None:
            k1, b, avgfl = scorer.K1, scorer.B, scorer.avgfl
            norms = [k1 * ((1 - b) + b * fl / avgfl) for fl in segment.lengths(fieldname)]
            self._norms[key] = norms
        return norms

    def vocabulary(self, consortium: str) -> ListCorrector:
        """The consortium's words, in memory: a Levenshtein automaton then skips through them."""
        corrector = self._vocabularies.get(consortium)
        if corrector is None:
            prefix = f"{consortium}:".encode()
            words = {term[len(prefix):].decode() for term in self.reader.expand_prefix("spell", prefix)}
            corrector = self._vocabularies[consortium] = ListCorrector(sorted(words))
        return corrector

    def vendor_name(self, vendor: str) -> str:
        if self._vendor_names is None:
            self._vendor_names = dict(zip(self.columns["vendor"], self.columns["vendor_name"], strict=True))
        return self._vendor_names.get(vendor, "")

    def close(self) -> None:
        _close_quietly(self.searcher)


def _close_quietly(searcher) -> None:
    try:
        searcher.close()
    except Exception:  # closing a broken searcher must not hide the real error
        log.debug("closing a searcher failed", exc_info=True)


def _add_field_scores(scores: dict[int, float], snap: _Snapshot, fieldname: str, text: str) -> None:
    # whoosh.scoring.bm25 with the scorer Searcher.search would use, written out so the
    # length-dependent half is computed once per document and field (same operations, same floats).
    scorer = snap.searcher.weighting.scorer(snap.searcher, fieldname, text)
    idf, k1p1 = scorer.idf, scorer.K1 + 1
    for segment, offset in snap.leaves:
        ids, weights = _postings(segment.leaf, fieldname, text)
        norms = snap.length_norms(segment, fieldname, scorer)
        field_scores = {offset + docnum: idf * ((tf * k1p1) / (tf + norms[docnum]))
                        for docnum, tf in zip(ids, weights, strict=True)}
        if not scores:
            scores.update(field_scores)
        else:
            for key, score in field_scores.items():
                scores[key] = scores.get(key, 0.0) + score


# ----------------------------------------------------------------------------------- the index

class CatalogIndex:
    """The catalog's search index in ``index_dir`` (which need not exist until the first rebuild).

    Documents are plain dicts::

        {"id": int, "consortium_id": int, "title": str, "summary": str, "description": str,
         "tags": [str], "standards": [str], "price_item_names": [str], "category": str,
         "pricing_models": [str], "vendor_id": int, "vendor_name": str, "proven": bool}

    ``index_dir`` is a symlink to the live build (``.<name>-xxxx`` next to it), so ``rebuild`` can swap
    a complete new index in with one atomic rename. Share one instance per process: it keeps an open
    searcher and refreshes it when the index changes (another process's upsert included). Calls are
    serialised by a lock, so threads may share it too.
    """

    def __init__(self, index_dir: str | Path, cached_postings: int = DEFAULT_CACHED_POSTINGS):
        self.path = Path(index_dir).absolute()
        self.schema = make_schema()
        self._cached_postings = cached_postings
        self._lock = threading.RLock()
        self._current: _Snapshot | None = None
        self._segments: dict[str, _Segment] = {}
        self._parsers = {"and": self._make_parser(AndGroup), "or": self._make_parser(OrGroup)}

    def _make_parser(self, group) -> MultifieldParser:
        # Only words, "phrases" and AND/OR/NOT (WhitespacePlugin is always added): no field,
        # wildcard, range, boost or fuzzy syntax that could be slow or reach other fields.
        parser = MultifieldParser(list(TEXT_FIELDS), self.schema, group=group, plugins=[])
        parser.add_plugin(PhrasePlugin())
        parser.add_plugin(OperatorsPlugin())
        return parser

    # ----------------------------------------------------------------------------------- writing

    def upsert(self, docs: Iterable[dict]) -> int:
        """Add or replace the given listings in one commit; returns how many were written."""
        fields = [document_fields(doc) for doc in docs]
        if not fields:
            return 0
        with self._writer() as writer:
            for values in fields:
                writer.update_document(**values)
        return len(fields)

    def delete(self, ids: Iterable[int]) -> int:
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
        shape of ``tqdm.update``). Readers keep using the old index until the swap. Works whatever
        state the current index is in, which makes it the cure for ``IndexUnavailable``.
        """
        parent = self.path.parent
        parent.mkdir(parents=True, exist_ok=True)
        self._check_replaceable()
        build_dir = Path(tempfile.mkdtemp(prefix=f".{self.path.name}-", dir=parent))
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
                self._swap_in(build_dir)
                self._drop_snapshot()
        except BaseException:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise
        log.info("search index rebuilt at %s: %d listings in %.1f s (expected %s)",
                 self.path, count, time.monotonic() - started, "?" if total is None else total)
        self._remove_stale_builds(keep=build_dir)
        return count

    def _check_replaceable(self) -> None:
        # A rebuild deletes what it replaces: never a directory holding anything but a Whoosh index
        # (say, SEARCH_INDEX_DIR set to the instance folder by mistake).
        if self.path.is_dir() and not self.path.is_symlink():
            foreign = [p.name for p in self.path.iterdir() if not _WHOOSH_FILE.match(p.name)]
            if foreign:
                raise ValueError(f"{self.path} holds files that are not a search index ({foreign[:3]}); "
                                 "point the index at a directory of its own")

    def _swap_in(self, build_dir: Path) -> None:
        path = self.path
        self._check_replaceable()
        old_target = Path(os.path.realpath(path)) if path.is_symlink() else None
        link = path.parent / f".{path.name}.link-{uuid.uuid4().hex}"
        try:
            os.symlink(build_dir.name, link, target_is_directory=True)
        except OSError:
            log.warning("symlinks unavailable; swapping %s by renames", path, exc_info=True)
            self._swap_by_renames(build_dir)
            return
        try:
            if path.is_dir() and not path.is_symlink():
                # A plain index directory (not made by rebuild): move it aside once; later swaps
                # are atomic.
                aside = path.parent / f".{path.name}-old-{uuid.uuid4().hex}"
                os.rename(path, aside)
                os.replace(link, path)
                shutil.rmtree(aside, ignore_errors=True)
            else:
                os.replace(link, path)  # atomic: readers see the old index or the new one, never neither
        except BaseException:
            link.unlink(missing_ok=True)
            raise
        if old_target is not None and old_target != build_dir and old_target.parent == path.parent:
            shutil.rmtree(old_target, ignore_errors=True)

    def _swap_by_renames(self, build_dir: Path) -> None:
        aside = self.path.parent / f".{self.path.name}-old-{uuid.uuid4().hex}"
        had_old = self.path.exists() or self.path.is_symlink()
        if had_old:
            os.rename(self.path, aside)
        os.rename(build_dir, self.path)
        if had_old:
            if aside.is_symlink():
                aside.unlink()
            else:
                shutil.rmtree(aside, ignore_errors=True)

    def _remove_stale_builds(self, keep: Path) -> None:
        cutoff = time.time() - STALE_BUILD_SECONDS
        name = self.path.name
        for candidate in chain(self.path.parent.glob(f".{name}-*"), self.path.parent.glob(f".{name}.link-*")):
            try:
                if candidate == keep or candidate.lstat().st_mtime >= cutoff:
                    continue
                if candidate.is_symlink():
                    candidate.unlink()
                elif candidate.is_dir():
                    shutil.rmtree(candidate, ignore_errors=True)
            except OSError:
                continue

    # ----------------------------------------------------------------------------------- reading

    def is_healthy(self) -> bool:
        """True when the index opens and answers; never raises (failures are logged)."""
        try:
            with self._lock:
                snapshot = self._snapshot()
                snapshot.searcher.doc_count()
                for segment, _offset in snapshot.leaves:
                    _postings(segment.leaf, "consortium_id", "0")
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
    ) -> SearchResult:
        """Rank the consortium's listings for ``q`` (empty: all, by title) within the given filters.

        Words must all match; if no listing has them all, any word will do. Facet counts are taken
        before pagination, each under the *other* active filters.
        """
        page = max(1, _as_int(page, 1))
        per_page = min(MAX_PER_PAGE, max(1, _as_int(per_page, 20)))
        filters = {
            "category": category or None,
            "pricing_model": pricing_model or None,
            "proven": None if proven is None else ("yes" if _truthy(proven) else "no"),
            "vendor": None if vendor_id in (None, "") else str(vendor_id),
        }
        consortium = str(int(consortium_id))
        text = clean_query(q)
        with self._lock:
            snapshot = self._snapshot()
            try:
                return self._search(snapshot, consortium, text, filters, page, per_page)
            except Exception as exc:
                self._drop_snapshot()
                raise self._unavailable("search failed", exc) from exc

    def _search(self, snap: _Snapshot, consortium: str, text: str, filters: dict[str, str | None],
                page: int, per_page: int) -> SearchResult:
        in_consortium = snap.docs("consortium_id", consortium)
        filter_docs = {name: snap.docs(name, value) for name, value in filters.items() if value}
        matched, scorers = in_consortium, []
        if text:
            matched, scorers = self._match(snap, text, "and", in_consortium)
            if not _restrict(matched, filter_docs) and len(text.split()) > 1:
                matched, scorers = self._match(snap, text, "or", in_consortium)
        selected = _restrict(matched, filter_docs)
        end = page * per_page
        top = _top(snap, selected, scorers, end) if end - per_page < len(selected) else []
        facets = _facet_counts(snap, matched, filter_docs)
        return SearchResult(
            ids=[snap.ids[docnum] for docnum in top[end - per_page:]],
            total=len(selected),
            facets=facets,
            page=page,
            per_page=per_page,
            suggestion=self._suggest(snap, consortium, text, in_consortium) if text else None,
            vendor_names={vendor: snap.vendor_name(vendor) for vendor in facets["vendor"]},
        )

    def _match(self, snap: _Snapshot, text: str, mode: str, universe: frozenset[int]):
        """(documents of ``universe`` matching the query, score dicts of its positive terms)."""
        query = self._parse(text, mode)
        if query is None:  # only stop words or operators: like an empty search
            return universe, []
        docs, scorers = _evaluate(snap, query, universe)
        return universe.intersection(docs), scorers

    def _parse(self, text: str, mode: str) -> wq.Query | None:
        try:
            query = self._parsers[mode].parse(text)
        except Exception:  # a query string must never fail the search
            log.info("query parser failed on %r; searching its words instead", text, exc_info=True)
            words = [wq.Or([wq.Term(f, stem) for f in TEXT_FIELDS])
                     for word in _WORD.findall(text) for stem in _stems(word)]
            query = (wq.And if mode == "and" else wq.Or)(words) if words else wq.NullQuery
        query = query.normalize()
        if query is wq.NullQuery or next(query.iter_all_terms(), None) is None:
            return None
        return query

    # ----------------------------------------------------------------------------- did you mean

    def _suggest(self, snap: _Snapshot, consortium: str, text: str,
                 in_consortium: frozenset[int]) -> str | None:
        """The query with unknown words replaced by the closest words of this consortium, if the
        corrected query finds something."""
        replacements: dict[str, str] = {}
        for word in dict.fromkeys(w.lower() for w in _WORD.findall(text)):
            if not _spellable(word) or ("spell", f"{consortium}:{word}") in snap.reader:
                continue
            if any(not in_consortium.isdisjoint(snap.scores(TEXT_FIELDS, stem).keys())
                   for stem in _stems(word)):
                continue  # another form of the word is indexed ("lights" for "lighting")
            best = _closest_word(snap, consortium, word)
            if best is not None:
                replacements[word] = best
        if not replacements:
            return None
        corrected = _WORD.sub(lambda m: replacements.get(m.group(0).lower(), m.group(0)), text)
        for mode in ("and", "or"):
            matched, _ = self._match(snap, corrected, mode, in_consortium)
            if matched and matched is not in_consortium:
                return corrected.replace('"', "")
        return None

    # ------------------------------------------------------------------------- opening / health

    def _snapshot(self) -> _Snapshot:
        """The current snapshot, refreshed if the index changed or a rebuild swapped it."""
        try:
            key = self._dir_key()
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
            self._current = _Snapshot(searcher, key, self._segments, self._cached_postings)
        except Exception as exc:
            self._drop_snapshot()
            if searcher is not None:
                _close_quietly(searcher)
            if isinstance(exc, IndexUnavailable):
                raise
            raise self._unavailable("cannot open the index", exc) from exc
        return self._current

    def _dir_key(self) -> tuple[int, int]:
        stat = os.stat(self.path)  # follows the symlink, so a rebuild changes the inode
        return (stat.st_dev, stat.st_ino)

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


# ------------------------------------------------------------------------- query evaluation

def _evaluate(snap: _Snapshot, node: wq.Query, universe: frozenset[int]):
    """Documents matching ``node`` (a set-like) and the score dicts of its positive terms.

    A document's score is the sum of its entries in those dicts, which is what Whoosh's matchers
    compute for And/Or/AndMaybe trees of terms.
    """
    if isinstance(node, wq.Term) and node.fieldname in TEXT_FIELDS:
        scores = snap.scores((node.fieldname,), node.text)
        return scores.keys(), [scores]
    if isinstance(node, wq.Or) and _is_multifield_word(node.subqueries):
        fieldnames = tuple(sorted({term.fieldname for term in node.subqueries}))
        scores = snap.scores(fieldnames, node.subqueries[0].text)
        return scores.keys(), [scores]
    if isinstance(node, (wq.And, wq.Or)):
        parts = [_evaluate(snap, child, universe) for child in node.subqueries]
        scorers = [scores for _, child_scorers in parts for scores in child_scorers]
        if not parts:
            return set(), []
        if isinstance(node, wq.And):
            return _all_of([docs for docs, _ in parts]), scorers
        return set().union(*(docs for docs, _ in parts)), scorers
    if isinstance(node, wq.Not):
        docs, _ = _evaluate(snap, node.query, universe)
        return universe.difference(docs), []
    if isinstance(node, wq.AndNot):
        docs, scorers = _evaluate(snap, node.a, universe)
        excluded, _ = _evaluate(snap, node.b, universe)
        return set(docs).difference(excluded), scorers
    if isinstance(node, wq.AndMaybe):
        docs, scorers = _evaluate(snap, node.a, universe)
        _, optional = _evaluate(snap, node.b, universe)
        return docs, scorers + optional
    if node is wq.NullQuery:
        return set(), []
    if isinstance(node, wq.Phrase):
        scorers = [snap.scores((node.fieldname,), word) for word in node.words]
        if snap.reader.schema[node.fieldname].format.supports("positions"):
            # Whoosh checks the word positions; the words' scores rank the matches.
            return set(snap.searcher.docs_for_query(node)) - snap.deleted, scorers
        return _all_of([scores.keys() for scores in scorers]), scorers
    return set(snap.searcher.docs_for_query(node)) - snap.deleted, []


def _all_of(docsets: list) -> set[int]:
    if not docsets:
        return set()
    docsets = sorted(docsets, key=len)
    return set(docsets[0]).intersection(*docsets[1:])


def _is_multifield_word(children: list[wq.Query]) -> bool:
    return (
        bool(children)
        and all(isinstance(child, wq.Term) and child.fieldname in TEXT_FIELDS and child.boost == 1
                for child in children)
        and len({child.text for child in children}) == 1
    )


def _top(snap: _Snapshot, selected: set[int], scorers: list[dict[int, float]], count: int) -> list[int]:
    """The first ``count`` documents by score (desc), then sort title, then id: a total order, so
    equal scores always come out the same way. Scores are rounded so float noise cannot reorder."""
    docs = list(selected)
    if not scorers:
        return nsmallest(count, docs, key=snap.sort_key.__getitem__)
    totals = list(map(scorers[0].get, docs, repeat(0.0)))
    for scores in scorers[1:]:
        totals = list(map(add, totals, map(scores.get, docs, repeat(0.0))))
    keys = zip(map(neg, map(round, totals, repeat(6))), map(snap.sort_key.__getitem__, docs), docs, strict=True)
    return [docnum for *_, docnum in nsmallest(count, keys)]


def _restrict(docs, filter_docs: dict[str, frozenset[int]]) -> set[int]:
    return set(docs).intersection(*filter_docs.values())


def _facet_counts(snap: _Snapshot, matched, filter_docs: dict[str, frozenset[int]]) -> dict[str, dict[str, int]]:
    # Each facet counts the query's matches under every *other* active filter, so choosing a
    # category still shows how many listings the other categories hold.
    facets = {}
    for name in FACETS:
        others = [docs for other, docs in filter_docs.items() if other != name]
        docs = set(matched).intersection(*others) if others else matched
        if len(docs) > BROAD_RESULT:
            docs = docs if isinstance(docs, set | frozenset) else set(docs)
            # CPython iterates the smaller of the two sets
            counts = Counter({value: n for value, group in snap.facet_groups(name).items()
                              if (n := len(group & docs))})
        else:
            values = map(snap.columns[name].__getitem__, docs)
            counts = Counter(chain.from_iterable(values) if name == "pricing_model" else values)
        counts.pop("", None)
        facets[name] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return facets


def _closest_word(snap: _Snapshot, consortium: str, word: str) -> str | None:
    """The consortium's indexed word nearest to ``word`` (edit distance <= 2, then most frequent)."""
    ranked = []
    for candidate in snap.vocabulary(consortium).suggest(word, limit=50, maxdist=2):
        if candidate != word and _spellable(candidate):
            frequency = snap.reader.doc_frequency("spell", f"{consortium}:{candidate}")
            ranked.append((damerau_levenshtein(word, candidate), -frequency, candidate))
    return min(ranked)[2] if ranked else None


def _as_int(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)
