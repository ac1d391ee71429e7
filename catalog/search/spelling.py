"""Words, the same for every engine: which words a query keeps, which words are worth offering in
"did you mean", how far apart two words are, and the one procedure that picks a correction.

The engines differ only in where they look words up (a Whoosh index, PostgreSQL tables); the rules
are here, so a misspelling gets the same suggestion whichever engine serves the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from catalog.search.query import WORD

# Words too common to search for, dropped from every query (and from Whoosh's index). The list is
# Whoosh's own (``whoosh.analysis.STOP_WORDS``; a test checks they stay equal), so both engines
# ignore exactly the same words.
STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from", "have", "if", "in", "is", "it", "may",
    "not", "of", "on", "or", "tbd", "that", "the", "this", "to", "us", "we", "when", "will", "with", "yet", "you",
    "your",
))
MIN_TOKEN = 2  # shorter tokens ("x", "2") are not searched for
# How text splits into tokens, as Whoosh's analyser does it: word characters, with inner dots
# ("2.0.1", "pm2.5").
TOKEN = re.compile(r"\w+(?:\.?\w+)*")
MAX_DISTANCE = 2  # edits between a misspelling and the word offered instead
# Trigrams a misspelling shares with the word offered instead, in tenths of all their trigrams: 2
# keeps every one-letter slip in a word of 5 letters or more ("cmaera": "camera"), and drops
# "corrections" of short words into unrelated ones ("ing": "any").
SIMILARITY_TENTHS = 2


def tokens(text: str) -> tuple[str, ...]:
    """The searchable tokens of some query text: lower-cased, without stop words and 1-letter tokens."""
    return tuple(t for t in (m.group(0) for m in TOKEN.finditer(text.lower()))
                 if len(t) >= MIN_TOKEN and t not in STOP_WORDS)


def spellable(word: str) -> bool:
    """Worth offering in "did you mean": neither too short nor too long, not a stop word."""
    return 3 <= len(word) <= 30 and word not in STOP_WORDS


def vocabulary(*texts: str) -> list[str]:
    """The words of a listing that "did you mean" may offer (letters only, lower-cased, sorted)."""
    return sorted({w for w in WORD.findall(" ".join(texts).lower()) if spellable(w)})


def damerau_levenshtein(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from ``a`` to ``b``: the optimal string
    alignment distance, as ``whoosh.support.levenshtein.damerau_levenshtein`` computes it."""
    previous: list[int] = []
    row = list(range(1, len(b) + 1)) + [0]
    for x in range(len(a)):
        before, previous, row = previous, row, [0] * len(b) + [x + 1]
        for y in range(len(b)):
            row[y] = min(previous[y] + 1, row[y - 1] + 1, previous[y - 1] + (a[x] != b[y]))
            if x > 0 and y > 0 and a[x] == b[y - 1] and a[x - 1] == b[y] and a[x] != b[y]:
                row[y] = min(row[y], before[y - 2] + 1)
    return row[len(b) - 1]


def trigrams(word: str) -> set[str]:
    """A word's trigrams as ``pg_trgm`` takes them: padded with two spaces before and one after."""
    padded = f"  {word} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def similar(a: str, b: str) -> bool:
    """Whether two words share ``SIMILARITY_TENTHS`` of their trigrams: ``pg_trgm``'s
    ``similarity(a, b) >= 0.2``."""
    ta, tb = trigrams(a), trigrams(b)
    shared = len(ta & tb)
    return shared * 10 >= (len(ta) + len(tb) - shared) * SIMILARITY_TENTHS


def closest(word: str, candidates: Iterable[str], counts: Callable[[list[str]], Mapping[str, int]]) -> str | None:
    """The candidate nearest to ``word``: at most ``MAX_DISTANCE`` edits away and ``similar``, then the
    one most listings hold (``counts(words)`` says how many hold each), then the first alphabetically.
    Listings are counted for the nearest candidates first, and for farther ones only when no listing
    holds any of those (counting is what costs)."""
    near: dict[int, set[str]] = {}
    for c in candidates:
        if c != word and spellable(c) and similar(word, c):
            distance = damerau_levenshtein(word, c)
            if distance <= MAX_DISTANCE:
                near.setdefault(distance, set()).add(c)
    for distance in sorted(near):
        held = counts(sorted(near[distance]))
        ranked = [(-held.get(c, 0), c) for c in near[distance] if held.get(c, 0) > 0]
        if ranked:
            return min(ranked)[1]
    return None


def suggest(
    text: str,
    known: Callable[[list[str]], Iterable[str]],
    correction: Callable[[str], str | None],
    finds: Callable[[str], bool],
    is_synonym: Callable[[str], bool] = lambda word: False,
) -> str | None:
    """Did you mean: ``text`` with its unknown words replaced by their corrections, if the corrected
    query finds something.

    ``known(words)`` names those of ``words`` the consortium's listings hold (in some form: "lights"
    is known through "lighting"); ``correction(word)`` is the nearest word they hold (see
    ``closest``); ``finds(text)`` tells whether a query finds any listing. Words of the synonym table
    are never corrected ("wifi" finds "Wi-Fi" listings without being a word of them).
    """
    words = [w for w in dict.fromkeys(w.lower() for w in WORD.findall(text)) if spellable(w) and not is_synonym(w)]
    if not words:
        return None
    holds = set(known(words))
    replacements = {word: best for word in words if word not in holds and (best := correction(word)) is not None}
    if not replacements:
        return None
    corrected = WORD.sub(lambda m: replacements.get(m.group(0).lower(), m.group(0)), text)
    return corrected.replace('"', "") if finds(corrected) else None
