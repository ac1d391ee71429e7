"""Reading one version of a Whoosh index: segments, posting lists, BM25F scores, kept in memory.

Whoosh's matchers cost about a microsecond per posting, far too slow for common words at tens of
thousands of listings. So a ``Snapshot`` reads a word's postings once per index version, whole blocks
at a time, turns them into BM25F scores exactly as ``Searcher.search`` would, and keeps them within a
memory budget; the engine then works with sets of document numbers.
"""

from __future__ import annotations

import logging
from array import array
from collections import OrderedDict
from collections.abc import Callable
from itertools import accumulate, chain

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.spelling import ListCorrector

from catalog.search.engine.schema import COLUMNS
from catalog.search.results import Columns

log = logging.getLogger(__name__)


class Segment:
    """Values that never change for one Whoosh segment (deletions aside): columns, field lengths."""

    def __init__(self, leaf):
        self.leaf = leaf
        self.size = leaf.doc_count_all()
        self.columns = {name: self._column(name, convert) for name, convert in COLUMNS.items()}
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


def postings(leaf, fieldname: str, text: str, weights: bool = True) -> tuple[list[int], list[float]]:
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


class LRU:
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


class Snapshot:
    """One version of the index: its searcher, facet columns and postings read so far."""

    def __init__(self, searcher, dir_key: tuple[int, int], segments: dict[str, Segment],
                 cached_postings: int):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.dir_key = dir_key
        self.leaves: list[tuple[Segment, int]] = []
        live: dict[str, Segment] = {}
        deleted: list[int] = []
        for leaf, offset in list(self.reader.leaf_readers()):
            if not leaf.doc_count_all():
                continue
            seg_id = leaf.segment().segment_id()
            segment = segments.get(seg_id) or Segment(leaf)
            segment.leaf = leaf  # the refreshed searcher opened a new reader for the same segment
            live[seg_id] = segment
            self.leaves.append((segment, offset))
            deleted.extend(offset + docnum for docnum in leaf.segment().deleted_docs() or ())
        segments.clear()
        segments.update(live)  # forget merged-away segments
        self.deleted = frozenset(deleted)
        self.columns = Columns({name: list(chain.from_iterable(s.columns[name] for s, _ in self.leaves))
                                for name in COLUMNS}, self.deleted)
        self._filters: dict[tuple[str, str], frozenset[int]] = {}
        self._compact = LRU(cached_postings)
        self._hot = LRU(cached_postings // 10)
        self._norms: dict[tuple[int, str], list[float]] = {}
        self._vocabularies: dict[str, ListCorrector] = {}

    def docs(self, fieldname: str, value: str) -> frozenset[int]:
        """Live documents whose (untokenized) field has this value: consortium and facet filters."""
        key = (fieldname, value)
        docs = self._filters.get(key)
        if docs is None:
            found: list[int] = []
            for segment, offset in self.leaves:
                ids, _ = postings(segment.leaf, fieldname, value, weights=False)
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
                    add_field_scores(scores, self, fieldname, text)
            self._compact.put(key, (array("i", scores), array("d", scores.values())), len(scores))
        self._hot.put(key, scores, len(scores))
        return scores

    def length_norms(self, segment: Segment, fieldname: str, scorer) -> list[float]:
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

    def close(self) -> None:
        close_quietly(self.searcher)


def close_quietly(searcher) -> None:
    try:
        searcher.close()
    except Exception:  # closing a broken searcher must not hide the real error
        log.debug("closing a searcher failed", exc_info=True)


def add_field_scores(scores: dict[int, float], snap: Snapshot, fieldname: str, text: str) -> None:
    # whoosh.scoring.bm25 with the scorer Searcher.search would use, written out so the
    # length-dependent half is computed once per document and field (same operations, same floats).
    scorer = snap.searcher.weighting.scorer(snap.searcher, fieldname, text)
    idf, k1p1 = scorer.idf, scorer.K1 + 1
    for segment, offset in snap.leaves:
        ids, weights = postings(segment.leaf, fieldname, text)
        norms = snap.length_norms(segment, fieldname, scorer)
        field_scores = {offset + docnum: idf * ((tf * k1p1) / (tf + norms[docnum]))
                        for docnum, tf in zip(ids, weights, strict=True)}
        if not scores:
            scores.update(field_scores)
        else:
            for key, score in field_scores.items():
                scores[key] = scores.get(key, 0.0) + score
