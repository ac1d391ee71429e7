"""Priority selection, the participatory-budgeting rule of DESIGN section 5b. Pure: no Flask, no database.

    score = Σ weight · rating over the criteria (a need without every rating is not ranked);
    rank by score descending, then lower cost, then older need;
    walk the ranking: select a need when its cost fits the remaining envelope, otherwise defer it
    ("does not fit the remaining $400,000.00") and keep walking.

Example I: envelope 1,000,000.00; A 600,000 (4.6), B 500,000 (4.2), C 300,000 (3.9), D 100,000 (3.1) →
A, C, D selected, B deferred, remaining 0.00. Scores are exact decimals, never rounded; money is Decimal.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from marketplace.formats import money

ONE = Decimal("1")


@dataclass(frozen=True)
class Criterion:
    name: str
    weight: Decimal


@dataclass(frozen=True)
class Candidate:
    """A need in a round. `age` orders needs from oldest to newest (e.g. (created_at, id))."""

    need_id: int
    title: str
    cost: Decimal
    age: Hashable
    ratings: Mapping[str, int]


@dataclass(frozen=True)
class Ranked:
    need_id: int
    title: str
    cost: Decimal
    score: Decimal
    rank: int
    selected: bool
    remaining_before: Decimal  # the envelope left when this need's turn came

    @property
    def reason(self) -> str | None:
        """Why a deferred need was not selected, in the words people read."""
        return None if self.selected else f"does not fit the remaining {money(self.remaining_before)}"


@dataclass(frozen=True)
class Selection:
    ranking: list[Ranked]
    unrated: list[Candidate]  # not ranked: some criterion has no rating
    selected_total: Decimal
    remaining: Decimal

    @property
    def selected(self) -> list[Ranked]:
        return [r for r in self.ranking if r.selected]

    @property
    def deferred(self) -> list[Ranked]:
        return [r for r in self.ranking if not r.selected]


def weights_sum_to_one(weights: Sequence[Decimal]) -> bool:
    """The rule for criteria: the weights add up to exactly 1."""
    return sum(weights, Decimal(0)) == ONE


def missing(criteria: Sequence[Criterion], candidate: Candidate) -> list[str]:
    """The criteria this candidate has no rating for."""
    return [c.name for c in criteria if candidate.ratings.get(c.name) is None]


def score(criteria: Sequence[Criterion], ratings: Mapping[str, int]) -> Decimal | None:
    """Σ weight · rating, exact; None when a criterion has no rating."""
    if any(ratings.get(c.name) is None for c in criteria):
        return None
    return sum((c.weight * Decimal(ratings[c.name]) for c in criteria), Decimal(0))


def select(budget: Decimal, criteria: Sequence[Criterion], candidates: Sequence[Candidate]) -> Selection:
    """Rank the fully rated candidates and select them within `budget` (DESIGN section 5b)."""
    scored = [(score(criteria, c.ratings), c) for c in candidates]
    rated = sorted(((s, c) for s, c in scored if s is not None), key=lambda sc: (-sc[0], sc[1].cost, sc[1].age))
    remaining = budget
    ranking = []
    for rank, (value, c) in enumerate(rated, start=1):
        fits = c.cost <= remaining
        ranking.append(Ranked(c.need_id, c.title, c.cost, value, rank, fits, remaining))
        if fits:
            remaining -= c.cost
    chosen = sum((r.cost for r in ranking if r.selected), Decimal("0.00"))
    return Selection(ranking, [c for s, c in scored if s is None], chosen, remaining)
