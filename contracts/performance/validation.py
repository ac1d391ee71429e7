"""Validation of performance terms: the JSON form of the terms (DESIGN section 5) into :class:`Terms`, or a
:class:`TermsError` that reports every problem at once under dotted field paths; and one reported KPI value.

Numbers may be strings (preferred), ints, Decimals or floats, written as the whole application writes them
(`marketplace.numbers`); text follows the application's text rule (`marketplace.text`: NFC, no control
characters, no lone surrogates); see :mod:`contracts.performance.fields`. Pure Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from itertools import pairwise
from typing import Any

from contracts.performance.amounts import ZERO_MONEY, plain
from contracts.performance.fields import (
    MEASURE,
    MONEY,
    PERCENT,
    PRICE,
    SHARE,
    USE,
    WEIGHT,
    Errors,
    Fields,
    as_object,
    check_number,
)
from contracts.performance.terms import (
    ADJUSTMENT_REASON_MAX,
    CREDIT_APPLIES_TO,
    CREDITS_UNIT,
    DIRECTIONS,
    KPI_NAME_MAX,
    MAX_ADJUSTMENTS,
    MAX_KPIS,
    MAX_PERIODS,
    MAX_TIERS,
    PERIOD_UNITS,
    REVENUE_UNIT,
    SAVINGS_UNIT,
    UNITS,
    Adjustment,
    CreditTier,
    Kpi,
    Measure,
    RevenueShare,
    ServiceCredits,
    SharedSavings,
    Terms,
    TermsError,
)

__all__ = ["parse_observation_value", "parse_terms"]

_TERMS_KEYS = frozenset(
    {
        "period",
        "periods",
        "start_date",
        "fixed_fee",
        "at_risk_fee",
        "bonus_pool",
        "holdback_pct",
        "holdback_window",
        "kpis",
        "service_credits",
        "shared_savings",
        "revenue_share",
    }
)
_KPI_KEYS = frozenset(
    {"code", "name", "unit", "direction", "weight", "baseline", "floor", "target", "stretch", "min", "max"}
)
_CREDITS_KEYS = frozenset({"kpi", "unit", "applies_to", "tiers", "cap_pct"})
_TIER_KEYS = frozenset({"below", "credit_pct"})
_SAVINGS_KEYS = frozenset(
    {
        "kpi",
        "unit",
        "baseline_use",
        "adjustments",
        "unit_price",
        "vendor_share_pct",
        "vendor_cap",
        "guaranteed_savings",
    }
)
_ADJUSTMENT_KEYS = frozenset({"amount", "reason"})
_REVENUE_KEYS = frozenset({"kpi", "city_share_pct", "minimum_guarantee", "guarantee_periods"})


def parse_terms(data: Mapping[str, Any]) -> Terms:
    """Validate the JSON form of performance terms (DESIGN section 5) and return ``Terms``.

    Numbers may be strings (preferred), ints, Decimals or floats; booleans are refused.
    Percentages are percent numbers ("10" is 10%). Every problem is collected into one
    :class:`TermsError` whose ``fields`` map dotted paths to messages.
    """
    if not isinstance(data, Mapping):
        raise TermsError({"terms": "must be an object"})
    errors = Errors()
    top = Fields(data, "", errors, _TERMS_KEYS)
    period = top.choice("period", PERIOD_UNITS)
    periods = top.integer("periods", 1, MAX_PERIODS)
    start_date = top.date("start_date")
    fixed_fee = top.number("fixed_fee", MONEY)
    at_risk_fee = top.number("at_risk_fee", MONEY)
    bonus_pool = top.number("bonus_pool", MONEY, default=ZERO_MONEY)
    holdback_pct = top.number("holdback_pct", PERCENT, default=Decimal(0))
    holdback_window = _parse_holdback_window(top, holdback_pct, periods)
    kpis = _parse_kpis(top, errors)
    service_credits = _parse_service_credits(top.raw("service_credits"), errors, kpis)
    savings = _parse_shared_savings(top.raw("shared_savings"), errors, kpis)
    revenue = _parse_revenue_share(top.raw("revenue_share"), errors, kpis, periods, (service_credits, savings))
    _check_pay_needs_kpis(top, at_risk_fee, bonus_pool, kpis)
    if errors.fields:
        raise TermsError(errors.fields)
    # No error recorded means no value above is None.
    return Terms(
        period=period,
        periods=periods,
        start_date=start_date,
        fixed_fee=fixed_fee,
        at_risk_fee=at_risk_fee,
        bonus_pool=bonus_pool,
        holdback_pct=holdback_pct,
        holdback_window=holdback_window,
        kpis=kpis,
        service_credits=service_credits,
        shared_savings=savings,
        revenue_share=revenue,
    )


def parse_observation_value(raw: Any, measure: Measure | None = None) -> Decimal:
    """Validate one reported KPI value (same rules as a measurement in the terms), and, given what the
    code measures, keep it inside its unit's bounds and the KPI's min/max.

    Raises :class:`TermsError` with the message under ``"value"``, naming the bound it broke
    ("Enter at most 100: Availability is a percentage.").
    """
    try:
        value = check_number(raw, MEASURE)
    except ValueError as err:
        raise TermsError({"value": str(err)}) from None
    bound = measure.broken_bound(value) if measure is not None else None
    if bound is not None:
        raise TermsError({"value": f"Enter at {bound.side} {plain(bound.limit)}: {measure.bound_reason(bound)}."})
    return value


def bound_message(measure: Measure, value: Decimal) -> str | None:
    """Why a value of the terms (a baseline, floor, target, stretch or threshold) cannot be one of
    ``measure``, or None when it fits: "Availability is a percentage: enter at most 100."."""
    bound = measure.broken_bound(value)
    if bound is None:
        return None
    limit = plain(bound.limit)
    if bound.by_unit:
        return f"{measure.name} is {measure.unit_noun}: enter at {bound.side} {limit}."
    word = "max" if bound.side == "most" else "min"
    return f"is outside this KPI's {word} {limit}: enter at {bound.side} {limit}."


def _parse_holdback_window(top: Fields, holdback_pct: Decimal | None, periods: int | None) -> int | None:
    if top.raw("holdback_window") is None:
        if holdback_pct:
            top.error("holdback_window", "is required when holdback_pct is above 0")
            return None
        return 1  # nothing is held back, so the window only groups periods
    return top.integer("holdback_window", 1, periods or MAX_PERIODS)


def _parse_kpis(top: Fields, errors: Errors) -> tuple[Kpi, ...] | None:
    items = top.items("kpis", MAX_KPIS, required=False)
    if items is None:
        return () if top.raw("kpis") is None else None
    kpis = [_parse_kpi(item, f"kpis.{index}", errors) for index, item in enumerate(items)]
    first_index: dict[str, int] = {}
    for index, kpi in enumerate(kpis):
        if kpi is None:
            continue
        if kpi.code in first_index:
            errors.add(f"kpis.{index}.code", f"repeats the code of kpis.{first_index[kpi.code]}")
        first_index.setdefault(kpi.code, index)
    if any(kpi is None for kpi in kpis):
        return None
    if kpis:
        total = sum((kpi.weight for kpi in kpis), Decimal(0))
        if total != 1:
            errors.add("kpis", f"weights must add up to 1 (they add up to {plain(total)})")
    return tuple(kpis)


def _parse_kpi(raw: Any, path: str, errors: Errors) -> Kpi | None:
    data = as_object(raw, path, errors)
    if data is None:
        return None
    fields = Fields(data, path, errors, _KPI_KEYS)
    values = {
        "code": fields.code("code"),
        "name": fields.text("name", KPI_NAME_MAX),
        "unit": fields.choice("unit", UNITS),
        "direction": fields.choice("direction", DIRECTIONS),
        "weight": fields.number("weight", WEIGHT),
        "baseline": fields.number("baseline", MEASURE),
        "floor": fields.number("floor", MEASURE),
        "target": fields.number("target", MEASURE),
        "stretch": fields.number("stretch", MEASURE, default=None),
        "min": fields.number("min", MEASURE, default=None),
        "max": fields.number("max", MEASURE, default=None),
    }
    optional = ("stretch", "min", "max")
    if any(value is None for key, value in values.items() if key not in optional):
        return None
    if any(data.get(key) is not None and values[key] is None for key in optional):
        return None
    kpi = Kpi(**values)
    ordered = _check_kpi_order(kpi, fields)
    return kpi if _check_kpi_bounds(kpi, fields) and ordered else None


def _check_kpi_bounds(kpi: Kpi, fields: Fields) -> bool:
    """min/max inside the unit's bounds with min < max; every value of the KPI inside both."""
    ok = True
    unit_only = replace(kpi.measure(), min=None, max=None)
    for key in ("min", "max"):
        value = getattr(kpi, key)
        message = bound_message(unit_only, value) if value is not None else None
        if message:
            fields.error(key, message)
            ok = False
    if ok and kpi.min is not None and kpi.max is not None and kpi.min >= kpi.max:
        fields.error("max", f"must be above min {plain(kpi.min)}")
        ok = False
    measure = kpi.measure() if ok else unit_only
    for key in ("baseline", "floor", "target", "stretch"):
        value = getattr(kpi, key)
        message = bound_message(measure, value) if value is not None else None
        if message:
            fields.error(key, message)
            ok = False
    return ok


def _check_kpi_order(kpi: Kpi, fields: Fields) -> bool:
    """floor → target → stretch must run in the KPI's direction."""
    higher = kpi.direction == "higher"
    word = "above" if higher else "below"

    def beyond(a: Decimal, b: Decimal) -> bool:
        return a > b if higher else a < b

    ok = True
    if not beyond(kpi.target, kpi.floor):
        fields.error("target", f"must be {word} floor for a '{kpi.direction}' KPI")
        ok = False
    if kpi.stretch is not None and not beyond(kpi.stretch, kpi.target):
        fields.error("stretch", f"must be {word} target for a '{kpi.direction}' KPI")
        ok = False
    return ok


def _block_measure(fields: Fields, code: str | None, kpis: tuple[Kpi, ...] | None, default: str) -> Measure | None:
    """What the code of a service-credit or shared-savings block measures: the KPI of that code (whose unit
    the block may repeat but not contradict), else the block's ``unit`` (``default`` when absent)."""
    unit = fields.choice("unit", UNITS) if fields.raw("unit") is not None else default
    if code is None or unit is None:
        return None
    kpi = next((k for k in kpis or () if k.code == code), None)
    if kpi is None:
        return Measure(code, code, unit)
    if fields.raw("unit") is not None and unit != kpi.unit:
        fields.error("unit", f"must be {kpi.unit}, the unit of the KPI {code}")
        return None
    return kpi.measure()


def _parse_service_credits(raw: Any, errors: Errors, kpis: tuple[Kpi, ...] | None) -> ServiceCredits | None:
    if raw is None:
        return None
    data = as_object(raw, "service_credits", errors)
    if data is None:
        return None
    fields = Fields(data, "service_credits", errors, _CREDITS_KEYS)
    kpi = fields.code("kpi")
    measure = _block_measure(fields, kpi, kpis, CREDITS_UNIT)
    applies_to = fields.choice("applies_to", CREDIT_APPLIES_TO)
    cap_pct = fields.number("cap_pct", PERCENT)
    tiers = _parse_tiers(fields, errors, measure)
    if measure is None or applies_to is None or cap_pct is None or tiers is None:
        return None
    return ServiceCredits(kpi=measure.code, applies_to=applies_to, tiers=tiers, cap_pct=cap_pct, unit=measure.unit)


def _parse_tiers(fields: Fields, errors: Errors, measure: Measure | None) -> tuple[CreditTier, ...] | None:
    items = fields.items("tiers", MAX_TIERS, required=True)
    if items is None:
        return None
    if not items:
        fields.error("tiers", "must have at least one tier")
        return None
    tiers: list[CreditTier | None] = []
    for index, raw in enumerate(items):
        path = f"service_credits.tiers.{index}"
        data = as_object(raw, path, errors)
        if data is None:
            tiers.append(None)
            continue
        tier_fields = Fields(data, path, errors, _TIER_KEYS)
        below = tier_fields.number("below", MEASURE)
        credit_pct = tier_fields.number("credit_pct", PERCENT)
        message = bound_message(measure, below) if measure is not None and below is not None else None
        if message:
            tier_fields.error("below", message)
            below = None
        ok = below is not None and credit_pct is not None
        tiers.append(CreditTier(below, credit_pct) if ok else None)
    if any(tier is None for tier in tiers):
        return None
    checked = tuple(tiers)
    return checked if _check_tier_order(checked, errors) else None


def _check_tier_order(tiers: tuple[CreditTier, ...], errors: Errors) -> bool:
    """Thresholds are distinct, and a worse (lower) threshold never credits less: otherwise
    a worse service level could pay the vendor more."""
    ok = True
    by_threshold = sorted(enumerate(tiers), key=lambda pair: pair[1].below, reverse=True)
    for (_, upper), (index, lower) in pairwise(by_threshold):
        path = f"service_credits.tiers.{index}"
        if lower.below == upper.below:
            errors.add(f"{path}.below", "repeats the threshold of another tier")
            ok = False
        elif lower.credit_pct < upper.credit_pct:
            errors.add(
                f"{path}.credit_pct",
                f"must be at least {plain(upper.credit_pct)}, the credit of the higher "
                f"threshold {plain(upper.below)}",
            )
            ok = False
    return ok


def _parse_shared_savings(raw: Any, errors: Errors, kpis: tuple[Kpi, ...] | None) -> SharedSavings | None:
    if raw is None:
        return None
    data = as_object(raw, "shared_savings", errors)
    if data is None:
        return None
    fields = Fields(data, "shared_savings", errors, _SAVINGS_KEYS)
    code = fields.code("kpi")
    measure = _block_measure(fields, code, kpis, SAVINGS_UNIT)
    values = {
        "kpi": code,
        "unit": measure.unit if measure is not None else None,
        "baseline_use": fields.number("baseline_use", USE),
        "adjustments": _parse_adjustments(fields, errors),
        "unit_price": fields.number("unit_price", PRICE),
        "vendor_share_pct": fields.number("vendor_share_pct", PERCENT),
        "vendor_cap": fields.number("vendor_cap", MONEY),
        "guaranteed_savings": fields.number("guaranteed_savings", MONEY),
    }
    if any(value is None for value in values.values()):
        return None
    return SharedSavings(**values)


def _parse_adjustments(fields: Fields, errors: Errors) -> tuple[Adjustment, ...] | None:
    items = fields.items("adjustments", MAX_ADJUSTMENTS, required=True)
    if items is None:
        return None
    adjustments: list[Adjustment | None] = []
    for index, raw in enumerate(items):
        path = f"shared_savings.adjustments.{index}"
        data = as_object(raw, path, errors)
        if data is None:
            adjustments.append(None)
            continue
        item = Fields(data, path, errors, _ADJUSTMENT_KEYS)
        amount = item.number("amount", MEASURE)
        reason = item.text("reason", ADJUSTMENT_REASON_MAX)
        ok = amount is not None and reason is not None
        adjustments.append(Adjustment(amount, reason) if ok else None)
    if any(adjustment is None for adjustment in adjustments):
        return None
    return tuple(adjustments)


def _parse_revenue_share(
    raw: Any, errors: Errors, kpis: tuple[Kpi, ...] | None, periods: int | None, blocks: tuple
) -> RevenueShare | None:
    """The revenue-share block. Its code is one of the KPIs, which must then be measured in currency, or a code
    of its own (always currency); it may not be the code of the service credits or the shared savings, which
    measure something else. ``guarantee_periods`` runs from 1 to the term's number of periods: when it does not
    divide them, the last guarantee block is shorter and still owes the whole minimum (nothing is prorated)."""
    if raw is None:
        return None
    data = as_object(raw, "revenue_share", errors)
    if data is None:
        return None
    fields = Fields(data, "revenue_share", errors, _REVENUE_KEYS)
    code = fields.code("kpi")
    kpi = next((k for k in kpis or () if k.code == code), None)
    if kpi is not None and kpi.unit != REVENUE_UNIT:
        fields.error("kpi", f"must name a KPI measured in {REVENUE_UNIT}: the KPI {code} is measured in {kpi.unit}")
        code = None
    elif kpi is None and code is not None and any(block is not None and block.kpi == code for block in blocks):
        fields.error("kpi", f"is already the code of the service credits or the shared savings; revenue needs a "
                            f"code of its own, measured in {REVENUE_UNIT}")
        code = None
    values = {
        "kpi": code,
        "city_share_pct": fields.number("city_share_pct", SHARE),
        "minimum_guarantee": fields.number("minimum_guarantee", MONEY),
        "guarantee_periods": fields.integer("guarantee_periods", 1, periods or MAX_PERIODS),
    }
    if any(value is None for value in values.values()):
        return None
    return RevenueShare(**values)


def _check_pay_needs_kpis(
    top: Fields,
    at_risk_fee: Decimal | None,
    bonus_pool: Decimal | None,
    kpis: tuple[Kpi, ...] | None,
) -> None:
    if kpis is None:
        return
    if not kpis and (at_risk_fee or bonus_pool):
        top.error("kpis", "needs at least one KPI when at_risk_fee or bonus_pool is above 0")
    elif bonus_pool and not any(kpi.stretch is not None for kpi in kpis):
        top.error("bonus_pool", "needs at least one KPI with a stretch value to be earned")
