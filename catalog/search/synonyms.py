"""Things people write in several ways ("streetlight", "street light"; "wifi", "Wi-Fi"): a small
table, applied to queries by both engines.

A query that says any way of writing one thing searches for all of them (``syntax.parse`` puts them
in one OR group), so "streetlights" finds "Street Lighting Retrofit" and "wifi" finds "Public Wi-Fi".
Each way of writing is matched word by word, ignoring case, punctuation and a plural "s", and several
words must follow each other (as a "phrase"). Queries are expanded, not listings, so changing the
table needs no reindex.

``SEARCH_SYNONYMS`` adds groups to ``SYNONYMS``: groups separated by ";", the ways of writing one
thing by ",", for example ``SEARCH_SYNONYMS="bollard light, bollard; cctv, video surveillance"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("streetlight", "street light"),
    ("wifi", "wi-fi"),
    ("lamppost", "lamp post"),
    ("kerb", "curb"),
)
_WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 4  # words in one way of writing a thing


def words(text: str) -> tuple[str, ...]:
    """Lower-cased runs of letters and digits: "Wi-Fi" is ("wi", "fi")."""
    return tuple(_WORD.findall(text.lower()))


def fold(word: str) -> str:
    """A word and its plural compare alike: "streetlights" is "streetlight" (not "glass", not "bus")."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


class Synonyms:
    """Groups of ways of writing one thing. ``match`` finds one at the start of some query words."""

    def __init__(self, groups: Iterable[Sequence[str]] = SYNONYMS):
        self.groups: list[tuple[str, ...]] = []
        self._keys: dict[tuple[str, ...], int] = {}
        for group in groups:
            ways = tuple(dict.fromkeys(" ".join(words(way)) for way in group if 0 < len(words(way)) <= MAX_WORDS))
            if len(ways) < 2:
                continue
            self.groups.append(ways)
            for way in ways:
                self._keys[tuple(fold(w) for w in way.split())] = len(self.groups) - 1
        self.longest = max((len(key) for key in self._keys), default=0)

    def __bool__(self) -> bool:
        return bool(self.groups)

    def match(self, tokens: Sequence[str]) -> tuple[int, tuple[str, ...]] | None:
        """The longest run of ``tokens`` (words as typed) from the first that is one way of writing a
        thing: (how many tokens, the ways of writing it); None if there is none."""
        for end in range(min(len(tokens), self.longest), 0, -1):
            key = tuple(fold(w) for token in tokens[:end] for w in words(token))
            group = self._keys.get(key)
            if group is not None:
                return end, self.groups[group]
        return None

    def covers(self, word: str) -> bool:
        """Whether this word alone is one way of writing a thing ("wifi"): no misspelling, then."""
        return (fold(word.lower()),) in self._keys


def parse_groups(text: str) -> list[tuple[str, ...]]:
    """``SEARCH_SYNONYMS`` text as groups: "a, b c; d, e" is [("a", "b c"), ("d", "e")]."""
    return [tuple(way.strip() for way in group.split(",") if way.strip()) for group in text.split(";")]


def synonym_table(extra: str | Iterable[Sequence[str]] | None = None) -> Synonyms:
    """``SYNONYMS`` and the ``extra`` groups (``SEARCH_SYNONYMS`` text or a list of groups)."""
    if isinstance(extra, str):
        extra = parse_groups(extra)
    return Synonyms([*SYNONYMS, *(extra or ())])
