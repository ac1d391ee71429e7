"""The formulas of DESIGN section 5, one KPI or one section at a time: the not-to-exceed amount, a KPI's
performance and bonus factors, service credits and shared savings. :mod:`contracts.performance.settlement`
applies them period by period.

Factors are kept as exact fractions while amounts are computed, so an amount is the exact value rounded
once; where a factor is shown it is a ``Decimal`` (exact when it terminates, else 28 significant digits).
Pure Python with no database and no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from contracts.performance.amounts import EXACT, F0, F1, ZERO_MONEY, cents, factor, normalize, percent_of
from contracts.performance.terms import Kpi, ServiceCredits, SharedSavings, Terms

__all__ = ["SavingsResult", "kpi_bonus_factor", "kpi_pf", "not_to_exceed", "service_credit", "shared_savings"]


def not_to_exceed(terms: Terms) -> Decimal:
    """The most the terms can ever pay: ``periods · (fixed_fee + at_risk_fee + bonus_pool +
    vendor_cap)``, the cap only with shared savings. One-time order lines are the caller's."""
    with localcontext(EXACT):
        per_period = terms.fixed_fee + terms.at_risk_fee + terms.bonus_pool
        if terms.shared_savings is not None:
            per_period += terms.shared_savings.vendor_cap
        return cents(per_period * terms.periods)


def kpi_pf(kpi: Kpi, value: Decimal) -> Decimal:
    """The KPI's performance factor for ``value``: 0 up to the floor, 1 from the target on,
    linear between (mirrored for ``lower``)."""
    with localcontext(EXACT):
        return factor(pf_fraction(kpi, value))


def kpi_bonus_factor(kpi: Kpi, value: Decimal) -> Decimal | None:
    """The KPI's bonus factor: 0 up to the target, 1 from the stretch on, linear between
    (mirrored for ``lower``); None when the KPI has no stretch."""
    with localcontext(EXACT):
        fraction = bonus_fraction(kpi, value)
        return None if fraction is None else factor(fraction)


def service_credit(sc: ServiceCredits, value: Decimal, fee: Decimal) -> tuple[Decimal, Decimal]:
    """``(credit_pct, amount)`` for a measured ``value``: the tier of the lowest threshold
    the value is below (``value < below``), capped at ``cap_pct``, as a share of ``fee``."""
    with localcontext(EXACT):
        below = [tier for tier in sc.tiers if value < tier.below]
        if not below:
            return Decimal(0), ZERO_MONEY
        tier = min(below, key=lambda tier: tier.below)
        pct = min(tier.credit_pct, sc.cap_pct)
        return pct, percent_of(pct, fee)


@dataclass(frozen=True)
class SavingsResult:
    """Shared savings of one period (IPMVP); every amount is in cents."""

    reporting_use: Decimal
    savings_units: Decimal
    savings: Decimal
    vendor_share: Decimal
    shortfall: Decimal
    net_to_vendor: Decimal
    city_net: Decimal


def shared_savings(ss: SharedSavings, reporting_use: Decimal) -> SavingsResult:
    """Split one period's verified savings between vendor and city, guarantee applied."""
    with localcontext(EXACT):
        adjusted = ss.baseline_use + sum((a.amount for a in ss.adjustments), Decimal(0))
        units = adjusted - reporting_use
        savings = cents(units * ss.unit_price)
        # Rounding min(x, cap) equals min(round(x), cap) because the cap is whole cents.
        vendor = max(min(percent_of(ss.vendor_share_pct, savings), ss.vendor_cap), ZERO_MONEY)
        shortfall = max(ss.guaranteed_savings - savings, ZERO_MONEY)
        net_to_vendor = vendor - shortfall
        return SavingsResult(
            reporting_use=reporting_use,
            savings_units=normalize(units),
            savings=savings,
            vendor_share=vendor,
            shortfall=shortfall,
            net_to_vendor=net_to_vendor,
            city_net=savings - net_to_vendor,
        )


def _ratio(value: Decimal, start: Decimal, end: Decimal) -> Fraction:
    """Exactly how far ``value`` has come from ``start`` (0) to ``end`` (1), clipped to
    [0, 1]. The sign of ``end - start`` gives the direction, so ``lower`` KPIs (whose
    floor > target > stretch) need no separate formula."""
    span = end - start
    offset = value - start
    if span > 0:
        if offset <= 0:
            return F0
        if offset >= span:
            return F1
    else:
        if offset >= 0:
            return F0
        if offset <= span:
            return F1
    return Fraction(offset) / Fraction(span)


def pf_fraction(kpi: Kpi, value: Decimal) -> Fraction:
    """The KPI's performance factor for ``value`` as an exact fraction."""
    return _ratio(value, kpi.floor, kpi.target)


def bonus_fraction(kpi: Kpi, value: Decimal) -> Fraction | None:
    """The KPI's bonus factor for ``value`` as an exact fraction; None without a stretch."""
    if kpi.stretch is None:
        return None
    return _ratio(value, kpi.target, kpi.stretch)
