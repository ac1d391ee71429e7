"""A query tree (``catalog.search.syntax``) as a PostgreSQL ``tsquery`` expression.

What users typed only ever reaches PostgreSQL as bound parameters of ``plainto_tsquery`` and
``phraseto_tsquery`` (never ``to_tsquery``, whose syntax a user could break or abuse); the operators
between them come from the tree.
"""

from __future__ import annotations

from catalog.search import syntax
from catalog.search.models import TEXT_SEARCH_CONFIG

# ts_rank's weights for D, C, B, A: body 1, summary 1.5, title 3, as the Whoosh engine boosts its fields.
RANK_WEIGHTS = "'{0.1, 0.333333, 0.5, 1.0}'::real[]"
RANK_NORMALIZATION = 0


class Compiled:
    """SQL text and its parameters (``q0``, ``q1``, ...: the query's words)."""

    def __init__(self, prefix: str = "q"):
        self.prefix = prefix
        self.params: dict[str, str] = {}

    def bind(self, value: str) -> str:
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def term(self, term: syntax.Term) -> str:
        function = "phraseto_tsquery" if term.phrase else "plainto_tsquery"
        return f"{function}('{TEXT_SEARCH_CONFIG}', {self.bind(' '.join(term.tokens))})"

    def match(self, node: syntax.Node) -> str:
        """The tsquery a listing must match."""
        if isinstance(node, syntax.Term):
            return self.term(node)
        if isinstance(node, syntax.All | syntax.Any):
            operator = " && " if isinstance(node, syntax.All) else " || "
            return "(" + operator.join(self.match(child) for child in node.children) + ")"
        if isinstance(node, syntax.Not):
            return f"(!! {self.match(node.child)})"
        if isinstance(node, syntax.AndNot):
            return f"({self.match(node.positive)} && (!! {self.match(node.negative)}))"
        return self.match(node.required)  # ANDMAYBE: the optional side only ranks

    def rank(self, node: syntax.Node | None) -> str | None:
        """A listing's score (``d.tsv``'s ``ts_rank``, a ``real``) for a tsquery of every token that ranks
        (``syntax.positive_terms``), each on its own: ``ts_rank`` of an OR query adds up what each token
        earns, as the Whoosh engine's scores do. None when no token ranks."""
        found = dict.fromkeys(token for term in syntax.positive_terms(node) for token in term.tokens)
        if not found:
            return None
        query = " || ".join(f"plainto_tsquery('{TEXT_SEARCH_CONFIG}', {self.bind(t)})" for t in found)
        return f"ts_rank({RANK_WEIGHTS}, d.tsv, ({query}), {RANK_NORMALIZATION})"


def score_key(score: str) -> str:
    """A sort key for a ``real`` score rounded to 6 decimals as ``round(CAST(score AS numeric), 6)``
    rounds it (so float noise cannot reorder equal scores, as the Whoosh engine rounds): the rounded
    value in millionths, as a double.

    The cast to numeric keeps 6 significant digits, then ``round`` keeps 6 decimals. For scores from
    0.01 to 1 (``ts_rank`` with normalization 0 stays below 1) the same two roundings are done here in
    floating point, which is exact (a real times 10^7 fits a double's 53 bits; ``round`` of a double
    rounds half to even, as the cast does, and the second rounding goes half up, as ``round`` of a
    numeric does): ranking 50,000 matches no longer pays for 50,000 numerics. Other scores take the
    numeric path itself. ``score`` is evaluated up to five times: pass a column."""
    return (f"CASE WHEN {score} >= 0.1 AND {score} < 1 THEN round(CAST({score} AS float8) * 1e6) "
            f"WHEN {score} >= 0.01 AND {score} < 0.1 THEN floor((round(CAST({score} AS float8) * 1e7) + 5) / 10) "
            f"ELSE CAST(round(CAST({score} AS numeric), 6) * 1000000 AS float8) END")
