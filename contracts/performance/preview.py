"""What pay-for-performance terms would pay: one period settled with every KPI at its target, at its floor,
and (when there is a bonus to earn) at its stretch, for the order form and the order page.

Nothing is computed here: each scenario is an ordinary :func:`~contracts.performance.settlement.settle` of
the terms with made-up verified values, so the preview always agrees with the real settlement. Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from contracts.performance.settlement import PeriodResult, settle
from contracts.performance.terms import Kpi, Measure, RevenueShare, Terms

__all__ = ["PayoutPreview", "Scenario", "payout_preview"]

SCENARIOS = ("target", "floor", "stretch")


@dataclass(frozen=True)
class Scenario:
    """One period settled with every KPI at ``name`` ("target", "floor", "stretch", or "fixed" for terms
    without KPIs)."""

    name: str
    values: tuple[tuple[Measure, Decimal], ...]  # the KPI values assumed, in the terms' order
    period: PeriodResult  # period 1, settled
    window: str  # what becomes of the holdback at the window's end: "released" | "forfeited"
    total: Decimal  # paid over every period of the term at these values, holdbacks decided


@dataclass(frozen=True)
class PayoutPreview:
    scenarios: tuple[Scenario, ...]
    periods: int
    credits_assumed: bool  # the service-credit code is no KPI: the preview assumes no credit
    savings_cap: Decimal | None  # shared savings are paid on top, up to this per period
    # A revenue share flows the other way (the vendor pays the city): shown beside, never in the totals.
    revenue_share: RevenueShare | None = None


def _value(kpi: Kpi, name: str) -> Decimal:
    if name == "stretch" and kpi.stretch is not None:
        return kpi.stretch
    return kpi.floor if name == "floor" else kpi.target


def _scenario(terms: Terms, name: str, extra: dict[str, Decimal]) -> Scenario:
    values = tuple((kpi.measure(), _value(kpi, name)) for kpi in terms.kpis)
    per_period = {**extra, **{measure.code: value for measure, value in values}}
    observations = {(n, code): value for n in range(1, terms.periods + 1) for code, value in per_period.items()}
    result = settle(terms, observations)
    return Scenario(name, values, result.period(1), result.windows[0].status, result.totals.paid)


def payout_preview(terms: Terms | None) -> PayoutPreview | None:
    """The scenarios of ``terms`` (None without terms, or without a period to pay)."""
    if terms is None or terms.periods < 1:
        return None
    extra: dict[str, Decimal] = {}
    sc = terms.service_credits
    credits_assumed = sc is not None and sc.kpi not in {kpi.code for kpi in terms.kpis}
    if credits_assumed:
        # A value at the highest threshold is below none of them: no credit (DESIGN section 5, example C).
        extra[sc.kpi] = max((tier.below for tier in sc.tiers), default=Decimal(0))
    if not terms.kpis:
        names: tuple[str, ...] = ("fixed",)
    elif terms.bonus_pool > 0 and any(kpi.stretch is not None for kpi in terms.kpis):
        names = SCENARIOS
    else:
        names = SCENARIOS[:2]
    scenarios = tuple(_scenario(terms, name, extra) for name in names)
    savings_cap = terms.shared_savings.vendor_cap if terms.shared_savings is not None else None
    return PayoutPreview(scenarios, terms.periods, credits_assumed, savings_cap, terms.revenue_share)

