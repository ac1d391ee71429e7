"""What a cleaned query means, as a small tree both engines compile: one grammar, so a query finds
the same listings whichever engine serves it.

The grammar (``query.clean_query`` has already reduced the text to words, "phrases" and operators):

- words and "phrases" next to each other must all match (mode "and"), or any of them may ("or": the
  fallback when no listing has them all);
- ``NOT x`` binds tightest, then ``x AND y``, then ``x OR y``, then ``x ANDNOT y``, then
  ``x ANDMAYBE y`` (``y`` only ranks), then mere juxtaposition; an operator without operands on both
  sides (``lighting AND``, ``AND OR``) is no operator, and a word in upper case that is not in
  operator position is a word;
- a word is its tokens (``spelling.tokens``: "Wi-Fi" is "wi" and "fi", all required); stop words and
  1-letter tokens are dropped, and a part left with nothing asks for nothing;
- ways of writing one thing in the synonym table become one OR group of all of them (``synonyms``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from catalog.search.query import QUERY_TOKEN
from catalog.search.spelling import tokens
from catalog.search.synonyms import Synonyms

INFIX = ("AND", "OR", "ANDNOT", "ANDMAYBE")  # in order of precedence, after NOT


@dataclass(frozen=True)
class Term:
    """A word (all its tokens anywhere in a listing) or a phrase (its tokens in a row)."""

    tokens: tuple[str, ...]
    phrase: bool = False


@dataclass(frozen=True)
class All:
    children: tuple


@dataclass(frozen=True)
class Any:
    children: tuple


@dataclass(frozen=True)
class Not:
    child: object


@dataclass(frozen=True)
class AndNot:
    positive: object
    negative: object


@dataclass(frozen=True)
class AndMaybe:
    """Listings matching ``required``; ``optional`` only adds to their score."""

    required: object
    optional: object


Node = Term | All | Any | Not | AndNot | AndMaybe


def parse(text: str, mode: str = "and", synonyms: Synonyms | None = None) -> Node | None:
    """The tree of a cleaned query; None when it asks for nothing (only stop words or operators),
    which engines answer like an empty query. Never raises."""
    raw = QUERY_TOKEN.findall(text)
    items = _operands(raw, synonyms)
    for op in ("NOT", *INFIX):
        items = _apply(items, op)
    operands = [item for item in items if not isinstance(item, str)]
    return _simplify(All(tuple(operands)) if mode == "and" else Any(tuple(operands)))


def positive_terms(node: Node | None) -> Iterator[Term]:
    """The terms that rank a listing: all but those under NOT or on the right of ANDNOT."""
    if isinstance(node, Term):
        yield node
    elif isinstance(node, All | Any):
        for child in node.children:
            yield from positive_terms(child)
    elif isinstance(node, AndNot):
        yield from positive_terms(node.positive)
    elif isinstance(node, AndMaybe):
        yield from positive_terms(node.required)
        yield from positive_terms(node.optional)


def _operands(raw: list[str], synonyms: Synonyms | None) -> list:
    """Terms, synonym groups and operator names (an operator only in operator position)."""
    items: list = []
    i = 0
    while i < len(raw):
        token = raw[i]
        last = i == len(raw) - 1
        if token == "NOT" and not last or token in INFIX and i > 0 and not last:
            items.append(token)
        elif token.startswith('"'):
            items.append(Term(tokens(token.strip('"')), phrase=True))
        else:
            run = 0
            while i + run < len(raw) and _is_word(raw, i + run):
                run += 1
            found = synonyms.match(raw[i:i + run]) if synonyms else None
            if found is None:
                items.append(Term(tokens(token)))
            else:
                length, ways = found
                typed = " ".join(raw[i:i + length])
                items.append(Any(tuple(dict.fromkeys(_way(w) for w in (typed, *ways)))))
                i += length
                continue
        i += 1
    return items


def _is_word(raw: list[str], i: int) -> bool:
    token = raw[i]
    operator = token == "NOT" and i < len(raw) - 1 or token in INFIX and 0 < i < len(raw) - 1
    return not operator and not token.startswith('"')


def _way(text: str) -> Term:
    found = tokens(text)
    return Term(found, phrase=len(found) > 1)


def _apply(items: list, op: str) -> list:
    """Combine each ``op`` with its operands (NOT: the one after it, right to left, so NOT NOT x is
    x; the others: the ones on both sides, left to right); an ``op`` lacking one is dropped."""
    if op == "NOT":
        out: list = []
        for item in reversed(items):
            if item == "NOT":
                if out and not isinstance(out[-1], str):
                    out[-1] = Not(out[-1])
            else:
                out.append(item)
        return out[::-1]
    out = []
    i = 0
    while i < len(items):
        item = items[i]
        if item != op:
            out.append(item)
        elif out and not isinstance(out[-1], str) and i + 1 < len(items) and not isinstance(items[i + 1], str):
            out[-1] = _combine(op, out[-1], items[i + 1])
            i += 1
        i += 1
    return out


def _combine(op: str, left, right):
    if op == "AND":
        return All((*left.children, right)) if isinstance(left, All) else All((left, right))
    if op == "OR":
        return Any((*left.children, right)) if isinstance(left, Any) else Any((left, right))
    return AndNot(left, right) if op == "ANDNOT" else AndMaybe(left, right)


def _simplify(node) -> Node | None:
    """Drop what asks for nothing (a term without tokens) and the groups it leaves empty or single."""
    if isinstance(node, Term):
        if not node.tokens:
            return None
        return Term(node.tokens) if node.phrase and len(node.tokens) == 1 else node
    if isinstance(node, All | Any):
        kind = type(node)
        children: list = []
        for child in map(_simplify, node.children):
            if child is None:
                continue
            children.extend(child.children if isinstance(child, kind) else (child,))
        children = list(dict.fromkeys(children))
        if not children:
            return None
        return children[0] if len(children) == 1 else kind(tuple(children))
    if isinstance(node, Not):
        child = _simplify(node.child)
        if child is None:
            return None
        return child.child if isinstance(child, Not) else Not(child)
    if isinstance(node, AndNot):
        positive, negative = _simplify(node.positive), _simplify(node.negative)
        if negative is None:
            return positive
        return Not(negative) if positive is None else AndNot(positive, negative)
    required, optional = _simplify(node.required), _simplify(node.optional)
    return None if required is None else required if optional is None else AndMaybe(required, optional)
