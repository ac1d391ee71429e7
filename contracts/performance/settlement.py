"""Pay-for-performance settlement (DESIGN section 5): :func:`settle` applies the formulas of
:mod:`contracts.performance.formulas` to every period of validated terms and their VERIFIED observations,
decides the holdback windows and adds up the totals. A revenue share (paid by the vendor to the city) is settled
by :mod:`contracts.performance.revenue` and reported beside the rest, never in what the city pays.

Money is ``Decimal``, rounded to cents with ROUND_HALF_UP as each amount is computed, in the order of DESIGN
section 5, so reported amounts always add up. Factors (PF, bonus factors) are never rounded. Pure Python with
no database and no Flask, so it can be tested exhaustively.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from contracts.performance.amounts import (
    DISPLAY,
    EXACT,
    F0,
    F1,
    ZERO_MONEY,
    factor,
    money,
    normalize,
    percent_of,
    plain,
    round_fraction,
)
from contracts.performance.fields import to_decimal
from contracts.performance.formulas import SavingsResult, bonus_fraction, pf_fraction, service_credit, shared_savings
from contracts.performance.periods import period_dates
from contracts.performance.revenue import GuaranteeBlock, RevenueRow, city_revenue, settle_revenue
from contracts.performance.terms import Kpi, Measure, Terms

__all__ = ["KpiResult", "PeriodResult", "SavingsRow", "Settlement", "Totals", "WindowResult", "settle"]

SETTLED = "settled"
PENDING = "pending"
RELEASED = "released"
FORFEITED = "forfeited"


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
    start_date: date
    end_date: date
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
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "pf": plain(self.pf),
            "at_risk_earned": money(self.at_risk_earned),
            "bonus": money(self.bonus),
            "credits": money(self.credits),
            "gross": money(self.gross),
            "holdback": money(self.holdback),
            "paid_now": money(self.paid_now),
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
            "holdback": money(self.holdback),
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
            "savings_units": plain(r.savings_units),
            "savings": money(r.savings),
            "vendor_share": money(r.vendor_share),
            "shortfall": money(r.shortfall),
            "net_to_vendor": money(r.net_to_vendor),
            "city_net": money(r.city_net),
        }


@dataclass(frozen=True)
class Totals:
    paid: Decimal
    withheld: Decimal
    released: Decimal
    forfeited: Decimal
    pending: Decimal  # withheld in windows not yet decided
    city_revenue: Decimal = ZERO_MONEY  # revenue share: owed by the vendor to the city, never part of paid

    def to_json(self) -> dict[str, str]:
        return {
            "paid": money(self.paid),
            "withheld": money(self.withheld),
            "released": money(self.released),
            "forfeited": money(self.forfeited),
            "pending": money(self.pending),
            "city_revenue": money(self.city_revenue),
        }


@dataclass(frozen=True)
class Settlement:
    periods: tuple[PeriodResult, ...]
    windows: tuple[WindowResult, ...]
    savings: tuple[SavingsRow, ...]
    totals: Totals
    measures: tuple[Measure, ...] = ()  # every observable code: name, unit and bounds
    revenue: tuple[RevenueRow, ...] = ()  # revenue share: periods with a verified revenue
    guarantees: tuple[GuaranteeBlock, ...] = ()  # revenue share: every guarantee block

    def to_json(self) -> dict[str, Any]:
        """The settlement JSON of DESIGN section 7 (money as strings with 2 decimals), with what each KPI
        code measures (name and unit) so the periods' figures can be read."""
        return {
            "kpis": [_measure_json(m) for m in self.measures],
            "periods": [period.to_json() for period in self.periods],
            "windows": [window.to_json() for window in self.windows],
            "savings": [row.to_json() for row in self.savings],
            "revenue": [row.to_json() for row in self.revenue],
            "guarantees": [block.to_json() for block in self.guarantees],
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

    def revenue_for(self, period: int) -> RevenueRow | None:
        """The revenue-share row of ``period``, if its revenue is verified."""
        return next((row for row in self.revenue if row.period == period), None)

    def guarantee_of(self, period: int) -> GuaranteeBlock | None:
        """The guarantee block that contains ``period`` (None without a revenue share)."""
        return next((block for block in self.guarantees if period in block.periods), None)


def _measure_json(measure: Measure) -> dict[str, Any]:
    data: dict[str, Any] = {"code": measure.code, "name": measure.name, "unit": measure.unit,
                            "unit_label": measure.unit_label}
    for key in ("min", "max"):
        if getattr(measure, key) is not None:
            data[key] = plain(getattr(measure, key))
    return data


Observations = Mapping[tuple[int, str], Decimal]


def settle(terms: Terms, observations: Observations, *, through_period: int | None = None) -> Settlement:
    """Settle ``terms`` against VERIFIED observations keyed by ``(period, kpi_code)``.

    A period is settled once every KPI code it needs (all ``kpis`` and the service-credit
    KPI) has a value, else pending with zero amounts. ``through_period`` optionally limits
    settlement to periods up to it (later ones stay pending), e.g. for terms without KPIs.
    """
    last = terms.periods if through_period is None else min(through_period, terms.periods)
    with localcontext(EXACT):
        plan = _Plan(terms)
        periods = tuple(
            _settle_period(plan, number, observations, number <= last)
            for number in range(1, terms.periods + 1)
        )
        windows = _settle_windows(terms, periods)
        savings = _settle_savings(terms, observations, last)
        revenue, guarantees = _settle_revenue(terms, observations, last)
        totals = replace(_totals(periods, windows, savings), city_revenue=city_revenue(revenue, guarantees))
        return Settlement(periods, windows, savings, totals, terms.measures(), revenue, guarantees)


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
    return to_decimal(value)


def _settle_period(plan: _Plan, number: int, observations: Observations, in_range: bool) -> PeriodResult:
    terms = plan.terms
    values = {code: _observed(observations, number, code) for code in plan.required}
    missing = tuple(code for code, value in values.items() if value is None)
    start, end = period_dates(terms.start_date, terms, number)
    if missing or not in_range:
        return _pending_period(number, start, end, missing)

    pf_total, bonus_total = F0, F0
    kpi_results = []
    for kpi, weight in zip(terms.kpis, plan.weights, strict=True):
        value = values[kpi.code]
        pf = pf_fraction(kpi, value)
        bonus_factor = bonus_fraction(kpi, value)
        pf_total += _weighted(weight, pf)
        if bonus_factor is not None:
            bonus_total += _weighted(weight, bonus_factor)
        kpi_results.append(
            KpiResult(
                code=kpi.code,
                value=value,
                weight=kpi.weight,
                pf=factor(pf),
                bonus_factor=None if bonus_factor is None else factor(bonus_factor),
            )
        )

    at_risk_earned = round_fraction(plan.at_risk * pf_total)
    bonus = round_fraction(plan.bonus_pool * bonus_total)
    sc = terms.service_credits
    sc_value = None
    credit_pct, credits = Decimal(0), ZERO_MONEY
    if sc is not None:
        sc_value = values[sc.kpi]
        credit_pct, credits = service_credit(sc, sc_value, terms.fixed_fee)
    gross = terms.fixed_fee - credits + at_risk_earned + bonus
    holdback = percent_of(terms.holdback_pct, gross)
    return PeriodResult(
        period=number,
        start_date=start,
        end_date=end,
        status=SETTLED,
        pf=factor(pf_total),
        bonus_factor=factor(bonus_total),
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


def _weighted(weight: Fraction, share: Fraction) -> Fraction:
    # Most values sit at a clipped end (0 or 1); skipping fraction arithmetic there
    # keeps a long settlement fast.
    if share is F0:
        return F0
    if share is F1:
        return weight
    return weight * share


def _pending_period(number: int, start: date, end: date, missing: tuple[str, ...]) -> PeriodResult:
    zero = ZERO_MONEY
    return PeriodResult(
        period=number,
        start_date=start,
        end_date=end,
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
        averages.append((kpi.code, normalize(DISPLAY.divide(total, len(members)))))
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


def _settle_revenue(
    terms: Terms, observations: Observations, last: int
) -> tuple[tuple[RevenueRow, ...], tuple[GuaranteeBlock, ...]]:
    rs = terms.revenue_share
    if rs is None:
        return (), ()
    verified = {n: value for n in range(1, last + 1) if (value := _observed(observations, n, rs.kpi)) is not None}
    return settle_revenue(rs, terms.periods, verified)


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
