"""Revenue share (DESIGN section 5, example D): money paid by the vendor to the city, never by the city.

Per period, ``city_share = city_share_pct / 100 · verified revenue``, rounded to cents (ROUND_HALF_UP). Every
``guarantee_periods`` periods form a guarantee block, numbered from 1: ``true_up = max(minimum_guarantee −
Σ city_share, 0)``, owed by the vendor on top of its shares.

- A block is ``settled`` once every one of its periods has a verified revenue; until then it is ``pending``
  and owes no true-up yet (its ``city_share`` is what the verified periods have brought so far).
- When ``guarantee_periods`` does not divide the term, the last block is shorter: it is a block of its own
  over the remaining periods and owes the whole ``minimum_guarantee``; nothing is prorated. (Terms that want
  a smaller last minimum choose a ``guarantee_periods`` that divides the term.)
- A terminated order's terms end with its last period, so its last block may be cut short the same way.

None of it counts towards what the city pays: the not-to-exceed value and ``totals.paid`` ignore it, and
``totals.city_revenue`` is Σ city_share of the verified periods + Σ true_up of the settled blocks.
Pure Python with no database and no Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from contracts.performance.amounts import EXACT, ZERO_MONEY, cents, money, percent_of, plain
from contracts.performance.terms import RevenueShare

__all__ = ["GuaranteeBlock", "RevenueRow", "city_revenue", "city_share", "guarantee_blocks", "settle_revenue"]

SETTLED = "settled"
PENDING = "pending"


@dataclass(frozen=True)
class RevenueRow:
    """One period's verified gross revenue and the city's share of it."""

    period: int
    revenue: Decimal
    city_share: Decimal

    def to_json(self) -> dict[str, Any]:
        return {"period": self.period, "revenue": revenue_text(self.revenue), "city_share": money(self.city_share)}


@dataclass(frozen=True)
class GuaranteeBlock:
    """A guarantee block: its periods, the city's shares in them, the minimum and the true-up owed."""

    block: int
    periods: tuple[int, ...]
    city_share: Decimal  # Σ city_share of the block's verified periods
    minimum: Decimal
    true_up: Decimal  # 0.00 while pending
    status: str  # "settled" | "pending"
    missing: tuple[int, ...] = ()  # periods of the block without a verified revenue

    def to_json(self) -> dict[str, Any]:
        return {
            "block": self.block,
            "periods": list(self.periods),
            "city_share": money(self.city_share),
            "minimum": money(self.minimum),
            "true_up": money(self.true_up),
            "status": self.status,
        }


def revenue_text(value: Decimal) -> str:
    """Revenue as JSON carries it: two decimals ("40000.00"), or every decimal a reported value has beyond
    cents ("40000.005"), so a share is never shown next to a rounded revenue it was not computed from."""
    return money(value) if value == cents(value) else plain(value)


def city_share(rs: RevenueShare, revenue: Decimal) -> Decimal:
    """The city's share of one period's verified revenue, in cents."""
    with localcontext(EXACT):
        return percent_of(rs.city_share_pct, revenue)


def guarantee_blocks(periods: int, size: int) -> tuple[tuple[int, ...], ...]:
    """The periods (1-based) of each guarantee block of ``size`` periods over a term of ``periods``; the last
    block holds what remains when ``size`` does not divide the term."""
    return tuple(tuple(range(first, min(first + size, periods + 1))) for first in range(1, periods + 1, size))


def settle_revenue(
    rs: RevenueShare, periods: int, revenue: Mapping[int, Decimal]
) -> tuple[tuple[RevenueRow, ...], tuple[GuaranteeBlock, ...]]:
    """The revenue rows (one per period with a verified revenue in ``revenue``, keyed by period) and every
    guarantee block of a term of ``periods`` periods."""
    with localcontext(EXACT):
        rows = tuple(RevenueRow(n, revenue[n], city_share(rs, revenue[n])) for n in sorted(revenue) if n <= periods)
        shares = {row.period: row.city_share for row in rows}
        blocks = []
        for index, members in enumerate(guarantee_blocks(periods, rs.guarantee_periods), start=1):
            total = sum((shares[n] for n in members if n in shares), ZERO_MONEY)
            missing = tuple(n for n in members if n not in shares)
            true_up = ZERO_MONEY if missing else max(rs.minimum_guarantee - total, ZERO_MONEY)
            blocks.append(GuaranteeBlock(index, members, total, rs.minimum_guarantee, true_up,
                                         PENDING if missing else SETTLED, missing))
        return rows, tuple(blocks)


def city_revenue(rows: tuple[RevenueRow, ...], blocks: tuple[GuaranteeBlock, ...]) -> Decimal:
    """What the vendor owes the city: every verified period's share plus the true-up of every settled block."""
    shares = sum((row.city_share for row in rows), ZERO_MONEY)
    return shares + sum((block.true_up for block in blocks if block.status == SETTLED), ZERO_MONEY)
