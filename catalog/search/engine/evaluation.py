"""Evaluating a parsed Whoosh query with set operations over a snapshot's postings, and finding the
closest known word for "did you mean"."""

from __future__ import annotations

from whoosh import query as wq
from whoosh.support.levenshtein import damerau_levenshtein

from catalog.search.engine.schema import TEXT_FIELDS, spellable
from catalog.search.engine.snapshot import Snapshot
from catalog.search.results import all_of


def evaluate(snap: Snapshot, node: wq.Query, universe: frozenset[int]):
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
        parts = [evaluate(snap, child, universe) for child in node.subqueries]
        scorers = [scores for _, child_scorers in parts for scores in child_scorers]
        if not parts:
            return set(), []
        if isinstance(node, wq.And):
            return all_of([docs for docs, _ in parts]), scorers
        return set().union(*(docs for docs, _ in parts)), scorers
    if isinstance(node, wq.Not):
        docs, _ = evaluate(snap, node.query, universe)
        return universe.difference(docs), []
    if isinstance(node, wq.AndNot):
        docs, scorers = evaluate(snap, node.a, universe)
        excluded, _ = evaluate(snap, node.b, universe)
        return set(docs).difference(excluded), scorers
    if isinstance(node, wq.AndMaybe):
        docs, scorers = evaluate(snap, node.a, universe)
        _, optional = evaluate(snap, node.b, universe)
        return docs, scorers + optional
    if node is wq.NullQuery:
        return set(), []
    if isinstance(node, wq.Phrase):
        scorers = [snap.scores((node.fieldname,), word) for word in node.words]
        if snap.reader.schema[node.fieldname].format.supports("positions"):
            # Whoosh checks the word positions; the words' scores rank the matches.
            return set(snap.searcher.docs_for_query(node)) - snap.deleted, scorers
        return all_of([scores.keys() for scores in scorers]), scorers
    return set(snap.searcher.docs_for_query(node)) - snap.deleted, []


def _is_multifield_word(children: list[wq.Query]) -> bool:
    return (
        bool(children)
        and all(isinstance(child, wq.Term) and child.fieldname in TEXT_FIELDS and child.boost == 1
                for child in children)
        and len({child.text for child in children}) == 1
    )


def closest_word(snap: Snapshot, consortium: str, word: str) -> str | None:
    """The consortium's indexed word nearest to ``word`` (edit distance <= 2, then most frequent)."""
    ranked = []
    for candidate in snap.vocabulary(consortium).suggest(word, limit=50, maxdist=2):
        if candidate != word and spellable(candidate):
            frequency = snap.reader.doc_frequency("spell", f"{consortium}:{candidate}")
            ranked.append((damerau_levenshtein(word, candidate), -frequency, candidate))
    return min(ranked)[2] if ranked else None
