"""The arithmetic of a revolving innovation fund (DESIGN section 5b, example G). Pure Python: no Flask, no
database.

For each settled period of a financed order, in order, ``repayment = min(repayment_pct · city amount of the
period, outstanding)``, where the city amount is the shared savings' ``city_net`` plus the revenue share's
``city_share`` and the ``true_up`` of a settled guarantee block (counted at the block's last period). Nothing
is repaid from a pending period, an unverified value or a pending guarantee block; a period whose city amount
is negative (savings below the baseline with no guarantee) repays nothing and takes nothing back.

The fund's balance is ``contributions − draws + repayments``. Repayments are derived from the settlement
each time they are read, never stored, so they can never drift from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from contracts.performance import Terms, shared_savings
from marketplace.numbers import to_cents

__all__ = ["CityAmount", "Repayment", "balance", "city_amounts", "expected_city_amount", "projected_repayments",
           "repayments"]

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CityAmount:
    """What one settled period of an order brought the city."""

    period: int
    amount: Decimal


@dataclass(frozen=True)
class Repayment:
    period: int
    amount: Decimal


def city_amounts(settlement: Mapping[str, Any]) -> list[CityAmount]:
    """The city amount of each settled period, in period order, read from the settlement JSON (DESIGN
    section 7). The revenue-share parts (`revenue`, `guarantees`) are optional: terms without a revenue
    share, or a settlement that does not report it, contribute shared savings only."""
    settled = {row["period"] for row in settlement.get("periods", []) if row.get("status") == "settled"}
    per_period: dict[int, Decimal] = {}

    def add(period: int, amount: str) -> None:
        if period in settled:
            per_period[period] = per_period.get(period, ZERO) + Decimal(amount)

    for row in settlement.get("savings", []):
        add(row["period"], row["city_net"])
    for row in settlement.get("revenue", []):
        add(row["period"], row["city_share"])
    for block in settlement.get("guarantees", []):
        if block.get("status") == "settled" and block.get("periods"):
            add(max(block["periods"]), block["true_up"])
    return [CityAmount(period, per_period[period]) for period in sorted(per_period)]


def repayment_due(repayment_pct: Decimal, city_amount: Decimal) -> Decimal:
    """The share of one period's city amount owed to the fund, in cents (never below zero)."""
    return to_cents(Decimal(repayment_pct) * max(Decimal(city_amount), ZERO) / 100)


def repayments(drawn: Decimal, repayment_pct: Decimal, amounts: Iterable[CityAmount]) -> list[Repayment]:
    """The repayments of a draw of `drawn` at `repayment_pct` %, period by period, capped at what is still
    outstanding. Example G: 200,000.00 at 100 % of 75,900.00 a year → 75,900.00, 75,900.00, 48,200.00."""
    outstanding = Decimal(drawn)
    paid = []
    for item in sorted(amounts, key=lambda a: a.period):
        if outstanding <= 0:
            break
        amount = min(repayment_due(repayment_pct, item.amount), outstanding)
        if amount > 0:
            paid.append(Repayment(item.period, amount))
            outstanding -= amount
    return paid


def balance(contributions: Iterable[Decimal], draws: Iterable[Decimal], repaid: Iterable[Decimal]) -> Decimal:
    """contributions − draws + repayments."""
    return sum(contributions, ZERO) - sum(draws, ZERO) + sum(repaid, ZERO)


def expected_city_amount(terms: Terms) -> Decimal:
    """What one period is expected to bring the city at the least: the shared savings' city net when the
    savings are exactly the guaranteed savings (settled by the same formula as a real period), plus the
    revenue share's minimum guarantee spread over its block. Zero for terms that guarantee nothing."""
    total = ZERO
    ss = terms.shared_savings
    if ss is not None and ss.guaranteed_savings > 0 and ss.unit_price > 0:
        adjusted = ss.baseline_use + sum((a.amount for a in ss.adjustments), Decimal(0))
        total += shared_savings(ss, adjusted - ss.guaranteed_savings / ss.unit_price).city_net
    rs = getattr(terms, "revenue_share", None)
    if rs is not None and rs.guarantee_periods:
        total += to_cents(rs.minimum_guarantee / rs.guarantee_periods)
    return total


def projected_repayments(outstanding: Decimal, repayment_pct: Decimal, periods: Iterable[int],
                         expected: Decimal) -> list[Repayment]:
    """What the periods not settled yet would repay if each brought the city `expected`: shown apart from the
    verified repayments, never counted in the balance."""
    return repayments(outstanding, repayment_pct, [CityAmount(period, expected) for period in periods])
