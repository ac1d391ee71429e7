"""A query tree (``catalog.search.syntax``) as a Whoosh query, evaluated with set operations over a
snapshot's postings; and the candidates for "did you mean"."""

from __future__ import annotations

from whoosh import query as wq

from catalog.search import syntax
from catalog.search.engine.schema import TEXT_FIELDS, stems
from catalog.search.engine.snapshot import Snapshot
from catalog.search.results import all_of
from catalog.search.spelling import MAX_DISTANCE, closest

# Words within MAX_DISTANCE edits looked at: all of them in practice (Whoosh's corrector keeps the
# alphabetically last ones beyond this many).
SUGGESTION_CANDIDATES = 5000


def whoosh_query(node: syntax.Node) -> wq.Query:
    """The Whoosh query of a query tree: a word is each of its (stemmed) tokens in any text field,
    a phrase its tokens in a row in one field (the body has no positions: there, all of them)."""
    if isinstance(node, syntax.Term):
        words = [stem for token in node.tokens for stem in stems(token)]
        if not words:
            return wq.NullQuery
        if node.phrase and len(words) > 1:
            return wq.Or([wq.Phrase(field, words) for field in TEXT_FIELDS])
        terms = [wq.Or([wq.Term(field, word) for field in TEXT_FIELDS]) for word in words]
        return terms[0] if len(terms) == 1 else wq.And(terms)
    if isinstance(node, syntax.All):
        return wq.And([whoosh_query(child) for child in node.children])
    if isinstance(node, syntax.Any):
        return wq.Or([whoosh_query(child) for child in node.children])
    if isinstance(node, syntax.Not):
        return wq.Not(whoosh_query(node.child))
    if isinstance(node, syntax.AndNot):
        return wq.AndNot(whoosh_query(node.positive), whoosh_query(node.negative))
    return wq.AndMaybe(whoosh_query(node.required), whoosh_query(node.optional))


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
    """The consortium's indexed word nearest to ``word`` (``spelling.closest``)."""
    candidates = snap.vocabulary(consortium).suggest(word, limit=SUGGESTION_CANDIDATES, maxdist=MAX_DISTANCE)
    return closest(word, candidates,
                   lambda words: {w: snap.reader.doc_frequency("spell", f"{consortium}:{w}") for w in words})
