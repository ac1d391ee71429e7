"""Pay-for-performance settlement (DESIGN section 5).

This module holds the settlement arithmetic over validated terms: the not-to-exceed amount,
KPI performance and bonus factors, service credits, shared savings, and :func:`settle`
with its result types. The terms themselves, their parsing and validation are in
:mod:`contracts.terms`; their public names are re-exported here, so callers can import
everything from ``contracts.performance``.

Pure Python with no database and no Flask, so it can be tested exhaustively.

Money is ``Decimal``, rounded to cents with ROUND_HALF_UP as each amount is computed, in the
order of DESIGN section 5, so reported amounts always add up. Factors (PF, bonus factors) are
never rounded: they are kept as exact fractions while amounts are computed, so an amount is
the exact value rounded once. Where a factor is shown it is a ``Decimal``: exact when the
fraction has a finite decimal expansion, otherwise correct to 28 significant digits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction
from typing import Any

from contracts.performance.terms import (
    _EXACT,
    ZERO_MONEY,
    Adjustment,
    CreditTier,
    Kpi,
    ServiceCredits,
    SharedSavings,
    Terms,
    TermsError,
    _cents,
    _money,
    _normalize,
    _plain,
    _to_decimal,
    parse_observation_value,
    parse_terms,
)

__all__ = [
    "Adjustment",
    "CreditTier",
    "Kpi",
    "KpiResult",
    "PeriodResult",
    "SavingsResult",
    "SavingsRow",
    "ServiceCredits",
    "Settlement",
    "SharedSavings",
    "Terms",
    "TermsError",
    "Totals",
    "WindowResult",
    "kpi_bonus_factor",
    "kpi_pf",
    "not_to_exceed",
    "parse_observation_value",
    "parse_terms",
    "service_credit",
    "settle",
    "shared_savings",
]

SETTLED = "settled"
PENDING = "pending"
RELEASED = "released"
FORFEITED = "forfeited"

# Precision for showing a factor or an average that has no finite decimal expansion.
_DISPLAY = Context(prec=28, rounding=ROUND_HALF_UP)

_F0 = Fraction(0)
_F1 = Fraction(1)
_D0 = Decimal(0)
_D1 = Decimal(1)


# --------------------------------------------------------------------------------------
# Arithmetic


def not_to_exceed(terms: Terms) -> Decimal:
    """The most the terms can ever pay: ``periods · (fixed_fee + at_risk_fee + bonus_pool +
    vendor_cap)``, the cap only with shared savings. One-time order lines are the caller's."""
    with localcontext(_EXACT):
        per_period = terms.fixed_fee + terms.at_risk_fee + terms.bonus_pool
        if terms.shared_savings is not None:
            per_period += terms.shared_savings.vendor_cap
        return _cents(per_period * terms.periods)


def kpi_pf(kpi: Kpi, value: Decimal) -> Decimal:
    """The KPI's performance factor for ``value``: 0 up to the floor, 1 from the target on,
    linear between (mirrored for ``lower``)."""
    with localcontext(_EXACT):
        return _factor(_pf(kpi, value))


def kpi_bonus_factor(kpi: Kpi, value: Decimal) -> Decimal | None:
    """The KPI's bonus factor: 0 up to the target, 1 from the stretch on, linear between
    (mirrored for ``lower``); None when the KPI has no stretch."""
    with localcontext(_EXACT):
        factor = _bonus_factor(kpi, value)
        return None if factor is None else _factor(factor)


def service_credit(sc: ServiceCredits, value: Decimal, fee: Decimal) -> tuple[Decimal, Decimal]:
    """``(credit_pct, amount)`` for a measured ``value``: the tier of the lowest threshold
    the value is below (``value < below``), capped at ``cap_pct``, as a share of ``fee``."""
    with localcontext(_EXACT):
        below = [tier for tier in sc.tiers if value < tier.below]
        if not below:
            return Decimal(0), ZERO_MONEY
        tier = min(below, key=lambda tier: tier.below)
        pct = min(tier.credit_pct, sc.cap_pct)
        return pct, _percent_of(pct, fee)


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
    with localcontext(_EXACT):
        adjusted = ss.baseline_use + sum((a.amount for a in ss.adjustments), Decimal(0))
        units = adjusted - reporting_use
        savings = _cents(units * ss.unit_price)
        # Rounding min(x, cap) equals min(round(x), cap) because the cap is whole cents.
        vendor = max(min(_percent_of(ss.vendor_share_pct, savings), ss.vendor_cap), ZERO_MONEY)
        shortfall = max(ss.guaranteed_savings - savings, ZERO_MONEY)
        net_to_vendor = vendor - shortfall
        return SavingsResult(
            reporting_use=reporting_use,
            savings_units=_normalize(units),
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
            return _F0
        if offset >= span:
            return _F1
    else:
        if offset >= 0:
            return _F0
        if offset <= span:
            return _F1
    return Fraction(offset) / Fraction(span)


def _pf(kpi: Kpi, value: Decimal) -> Fraction:
    return _ratio(value, kpi.floor, kpi.target)


def _bonus_factor(kpi: Kpi, value: Decimal) -> Fraction | None:
    if kpi.stretch is None:
        return None
    return _ratio(value, kpi.target, kpi.stretch)


# --------------------------------------------------------------------------------------
# Settlement


@dataclass(frozen=True)
class KpiResult:
    """One KPI's step in a period: its verified value and the factors it yields."""

    code: str
    value: Decimal
    weight: Decimal
    pf: Decimal
    bonus_factor: Decimal | None  # None when the KPI has no stretch


@dataclass(frozen=True)
class PeriodResult:
    """One period's settlement. A pending period has zero amounts and lists what is missing."""

    period: int
    status: str  # "settled" | "pending"
    pf: Decimal
    bonus_factor: Decimal  # Σ weight · bonus factor over KPIs with a stretch
    at_risk_earned: Decimal
    bonus: Decimal
    credit_pct: Decimal
    credits: Decimal
    gross: Decimal
    holdback: Decimal
    paid_now: Decimal
    kpis: tuple[KpiResult, ...] = ()
    service_credit_value: Decimal | None = None
    missing: tuple[str, ...] = ()  # KPI codes without a verified value

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "pf": _plain(self.pf),
            "at_risk_earned": _money(self.at_risk_earned),
            "bonus": _money(self.bonus),
            "credits": _money(self.credits),
            "gross": _money(self.gross),
            "holdback": _money(self.holdback),
            "paid_now": _money(self.paid_now),
            "status": self.status,
        }


@dataclass(frozen=True)
class WindowResult:
    """A holdback window: its periods, the money held back in them, and its fate."""

    window: int
    periods: tuple[int, ...]
    holdback: Decimal
    status: str  # "released" | "forfeited" | "pending"
    averages: tuple[tuple[str, Decimal], ...] = ()  # (KPI code, average); empty if pending

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "periods": list(self.periods),
            "holdback": _money(self.holdback),
            "status": self.status,
        }


@dataclass(frozen=True)
class SavingsRow:
    period: int
    result: SavingsResult

    def to_json(self) -> dict[str, Any]:
        r = self.result
        return {
            "period": self.period,
            "savings_units": _plain(r.savings_units),
            "savings": _money(r.savings),
            "vendor_share": _money(r.vendor_share),
            "shortfall": _money(r.shortfall),
            "net_to_vendor": _money(r.net_to_vendor),
            "city_net": _money(r.city_net),
        }


@dataclass(frozen=True)
class Totals:
    paid: Decimal
    withheld: Decimal
    released: Decimal
    forfeited: Decimal
    pending: Decimal  # withheld in windows not yet decided

    def to_json(self) -> dict[str, str]:
        return {
            "paid": _money(self.paid),
            "withheld": _money(self.withheld),
            "released": _money(self.released),
            "forfeited": _money(self.forfeited),
            "pending": _money(self.pending),
        }


@dataclass(frozen=True)
class Settlement:
    periods: tuple[PeriodResult, ...]
    windows: tuple[WindowResult, ...]
    savings: tuple[SavingsRow, ...]
    totals: Totals

    def to_json(self) -> dict[str, Any]:
        """The settlement JSON of DESIGN section 7 (money as strings with 2 decimals)."""
        return {
            "periods": [period.to_json() for period in self.periods],
            "windows": [window.to_json() for window in self.windows],
            "savings": [row.to_json() for row in self.savings],
            "totals": self.totals.to_json(),
        }

    def period(self, number: int) -> PeriodResult:
        """The result of period ``number`` (1-based)."""
        if not 1 <= number <= len(self.periods):
            raise KeyError(number)
        return self.periods[number - 1]

    def window_of(self, period: int) -> WindowResult:
        """The holdback window that contains ``period``."""
        for window in self.windows:
            if period in window.periods:
                return window
        raise KeyError(period)

    def savings_for(self, period: int) -> SavingsResult | None:
        """The shared-savings result of ``period``, if its reporting use is verified."""
        for row in self.savings:
            if row.period == period:
                return row.result
        return None


Observations = Mapping[tuple[int, str], Decimal]


def settle(terms: Terms, observations: Observations, *, through_period: int | None = None) -> Settlement:
    """Settle ``terms`` against VERIFIED observations keyed by ``(period, kpi_code)``.

    A period is settled once every KPI code it needs (all ``kpis`` and the service-credit
    KPI) has a value, else pending with zero amounts. ``through_period`` optionally limits
    settlement to periods up to it (later ones stay pending), e.g. for terms without KPIs.
    """
    last = terms.periods if through_period is None else min(through_period, terms.periods)
    with localcontext(_EXACT):
        plan = _Plan(terms)
        periods = tuple(
            _settle_period(plan, number, observations, number <= last)
            for number in range(1, terms.periods + 1)
        )
        windows = _settle_windows(terms, periods)
        savings = _settle_savings(terms, observations, last)
        return Settlement(periods, windows, savings, _totals(periods, windows, savings))


class _Plan:
    """What settle reuses for every period: fees and weights as exact fractions."""

    def __init__(self, terms: Terms):
        self.terms = terms
        self.at_risk = Fraction(terms.at_risk_fee)
        self.bonus_pool = Fraction(terms.bonus_pool)
        self.weights = [Fraction(kpi.weight) for kpi in terms.kpis]
        codes = [kpi.code for kpi in terms.kpis]
        sc = terms.service_credits
        if sc is not None and sc.kpi not in codes:
            codes.append(sc.kpi)
        self.required = tuple(codes)


def _observed(observations: Observations, period: int, code: str) -> Decimal | None:
    value = observations.get((period, code))
    if value is None or type(value) is Decimal:
        return value
    return _to_decimal(value)


def _settle_period(plan: _Plan, number: int, observations: Observations, in_range: bool) -> PeriodResult:
    terms = plan.terms
    values = {code: _observed(observations, number, code) for code in plan.required}
    missing = tuple(code for code, value in values.items() if value is None)
    if missing or not in_range:
        return _pending_period(number, missing)

    pf_total, bonus_total = _F0, _F0
    kpi_results = []
    for kpi, weight in zip(terms.kpis, plan.weights, strict=True):
        value = values[kpi.code]
        pf = _pf(kpi, value)
        bonus_factor = _bonus_factor(kpi, value)
        pf_total += _weighted(weight, pf)
        if bonus_factor is not None:
            bonus_total += _weighted(weight, bonus_factor)
        kpi_results.append(
            KpiResult(
                code=kpi.code,
                value=value,
                weight=kpi.weight,
                pf=_factor(pf),
                bonus_factor=None if bonus_factor is None else _factor(bonus_factor),
            )
        )

    at_risk_earned = _round_fraction(plan.at_risk * pf_total)
    bonus = _round_fraction(plan.bonus_pool * bonus_total)
    sc = terms.service_credits
    sc_value = None
    credit_pct, credits = Decimal(0), ZERO_MONEY
    if sc is not None:
        sc_value = values[sc.kpi]
        credit_pct, credits = service_credit(sc, sc_value, terms.fixed_fee)
    gross = terms.fixed_fee - credits + at_risk_earned + bonus
    holdback = _percent_of(terms.holdback_pct, gross)
    return PeriodResult(
        period=number,
        status=SETTLED,
        pf=_factor(pf_total),
        bonus_factor=_factor(bonus_total),
        at_risk_earned=at_risk_earned,
        bonus=bonus,
        credit_pct=credit_pct,
        credits=credits,
        gross=gross,
        holdback=holdback,
        paid_now=gross - holdback,
        kpis=tuple(kpi_results),
        service_credit_value=sc_value,
    )


def _weighted(weight: Fraction, factor: Fraction) -> Fraction:
    # Most values sit at a clipped end (0 or 1); skipping fraction arithmetic there
    # keeps a long settlement fast.
    if factor is _F0:
        return _F0
    if factor is _F1:
        return weight
    return weight * factor


def _pending_period(number: int, missing: tuple[str, ...]) -> PeriodResult:
    zero = ZERO_MONEY
    return PeriodResult(
        period=number,
        status=PENDING,
        pf=Decimal(0),
        bonus_factor=Decimal(0),
        at_risk_earned=zero,
        bonus=zero,
        credit_pct=Decimal(0),
        credits=zero,
        gross=zero,
        holdback=zero,
        paid_now=zero,
        missing=missing,
    )


def _settle_windows(terms: Terms, periods: tuple[PeriodResult, ...]) -> tuple[WindowResult, ...]:
    size = terms.holdback_window
    windows = []
    for index, start in enumerate(range(0, len(periods), size), start=1):
        members = periods[start : start + size]
        windows.append(_settle_window(terms, index, members))
    return tuple(windows)


def _settle_window(terms: Terms, index: int, members: tuple[PeriodResult, ...]) -> WindowResult:
    numbers = tuple(period.period for period in members)
    holdback = sum((period.holdback for period in members), ZERO_MONEY)
    if any(period.status == PENDING for period in members):
        return WindowResult(index, numbers, holdback, PENDING)
    averages = []
    met = True
    for position, kpi in enumerate(terms.kpis):
        total = sum((period.kpis[position].value for period in members), Decimal(0))
        met = met and _average_meets_floor(kpi, total, len(members))
        averages.append((kpi.code, _normalize(_DISPLAY.divide(total, len(members)))))
    return WindowResult(index, numbers, holdback, RELEASED if met else FORFEITED, tuple(averages))


def _average_meets_floor(kpi: Kpi, total: Decimal, count: int) -> bool:
    # Compares total with count · floor, which is exact, rather than a rounded average.
    floor_total = kpi.floor * count
    return total >= floor_total if kpi.direction == "higher" else total <= floor_total


def _settle_savings(terms: Terms, observations: Observations, last: int) -> tuple[SavingsRow, ...]:
    ss = terms.shared_savings
    if ss is None:
        return ()
    rows = []
    for number in range(1, last + 1):
        reporting_use = _observed(observations, number, ss.kpi)
        if reporting_use is not None:
            rows.append(SavingsRow(number, shared_savings(ss, reporting_use)))
    return tuple(rows)


def _totals(
    periods: tuple[PeriodResult, ...],
    windows: tuple[WindowResult, ...],
    savings: tuple[SavingsRow, ...],
) -> Totals:
    def held(status: str) -> Decimal:
        return sum((w.holdback for w in windows if w.status == status), ZERO_MONEY)

    released = held(RELEASED)
    paid_now = sum((period.paid_now for period in periods), ZERO_MONEY)
    net_to_vendor = sum((row.result.net_to_vendor for row in savings), ZERO_MONEY)
    return Totals(
        paid=paid_now + released + net_to_vendor,
        withheld=sum((period.holdback for period in periods), ZERO_MONEY),
        released=released,
        forfeited=held(FORFEITED),
        pending=held(PENDING),
    )


# --------------------------------------------------------------------------------------
# Number helpers


def _percent_of(pct: Decimal, amount: Decimal) -> Decimal:
    # scaleb divides by 100 exactly, whatever the context precision.
    return _cents((pct * amount).scaleb(-2))


def _round_fraction(value: Fraction) -> Decimal:
    """An exact fraction rounded to cents, ties away from zero (as ROUND_HALF_UP)."""
    scaled = value * 100
    quotient, remainder = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * remainder >= scaled.denominator:
        quotient += 1
    return Decimal(quotient if scaled >= 0 else -quotient).scaleb(-2)


def _factor(value: Fraction) -> Decimal:
    """A factor shown as a Decimal: exact when it terminates, else 28 significant digits."""
    if value is _F0 or value is _F1:
        return _D0 if value is _F0 else _D1
    if value.denominator == 1:
        return Decimal(value.numerator)
    quotient = _DISPLAY.divide(Decimal(value.numerator), Decimal(value.denominator))
    return _normalize(quotient)
