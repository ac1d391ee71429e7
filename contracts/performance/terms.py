"""Pay-for-performance terms: what an order promises (DESIGN section 5).

This module holds the term dataclasses (:class:`Terms` and its parts), :func:`parse_terms`,
which validates the JSON form of the terms and reports every problem at once in a
:class:`TermsError`, and :func:`parse_observation_value` for one reported KPI value. The
settlement arithmetic is in :mod:`contracts.performance`, which imports from here (never
the reverse).

Pure Python with no database and no Flask, so it can be tested exhaustively. Money is
``Decimal`` in whole cents and percentages are percent numbers ("10" is 10%). The number
helpers at the end format values for ``to_dict``; the settlement shares them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from itertools import pairwise
from typing import Any

__all__ = [
    "Adjustment",
    "CreditTier",
    "Kpi",
    "ServiceCredits",
    "SharedSavings",
    "Terms",
    "TermsError",
    "parse_observation_value",
    "parse_terms",
]

PERIOD_UNITS = ("month", "quarter", "year")
DIRECTIONS = ("higher", "lower")
MAX_PERIODS = 600
MAX_KPIS = 20
MAX_TIERS = 20
MAX_ADJUSTMENTS = 100

CENT = Decimal("0.01")
ZERO_MONEY = Decimal("0.00")

# Inputs are bounded (see the _Kind limits below) so that sums and products of them stay
# exact at this precision; only the divisions behind factors (in contracts.performance) are
# inexact, and those are done with fractions.
_EXACT = Context(prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])

_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_MAX_NUMBER_TEXT = 40


# --------------------------------------------------------------------------------------
# Errors


class TermsError(ValueError):
    """Invalid performance terms.

    ``fields`` maps a dotted field path (``"kpis.0.weight"``, ``"holdback_pct"``,
    ``"shared_savings.unit_price"``) to a message for a person; ``str(err)`` is a one-line
    summary.
    """

    def __init__(self, fields: Mapping[str, str]):
        self.fields: dict[str, str] = dict(fields)
        super().__init__(self._summary())

    def _summary(self) -> str:
        shown = [f"{path}: {message}" for path, message in list(self.fields.items())[:5]]
        more = len(self.fields) - len(shown)
        if more:
            shown.append(f"and {more} more")
        return "invalid performance terms: " + "; ".join(shown)


# --------------------------------------------------------------------------------------
# Terms


@dataclass(frozen=True)
class Kpi:
    """One KPI of the performance factor. ``floor < target < stretch`` for ``higher``,
    ``floor > target > stretch`` for ``lower``."""

    code: str
    name: str
    unit: str
    direction: str
    weight: Decimal
    baseline: Decimal
    floor: Decimal
    target: Decimal
    stretch: Decimal | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {
            "code": self.code,
            "name": self.name,
            "unit": self.unit,
            "direction": self.direction,
            "weight": _plain(self.weight),
            "baseline": _plain(self.baseline),
            "floor": _plain(self.floor),
            "target": _plain(self.target),
        }
        if self.stretch is not None:
            data["stretch"] = _plain(self.stretch)
        return data


@dataclass(frozen=True)
class CreditTier:
    below: Decimal
    credit_pct: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"below": _plain(self.below), "credit_pct": _plain(self.credit_pct)}


@dataclass(frozen=True)
class ServiceCredits:
    kpi: str
    applies_to: str
    tiers: tuple[CreditTier, ...]
    cap_pct: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
            "applies_to": self.applies_to,
            "tiers": [tier.to_dict() for tier in self.tiers],
            "cap_pct": _plain(self.cap_pct),
        }


@dataclass(frozen=True)
class Adjustment:
    amount: Decimal
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"amount": _plain(self.amount), "reason": self.reason}


@dataclass(frozen=True)
class SharedSavings:
    kpi: str
    baseline_use: Decimal
    adjustments: tuple[Adjustment, ...]
    unit_price: Decimal
    vendor_share_pct: Decimal
    vendor_cap: Decimal
    guaranteed_savings: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
            "baseline_use": _plain(self.baseline_use),
            "adjustments": [adjustment.to_dict() for adjustment in self.adjustments],
            "unit_price": _plain(self.unit_price),
            "vendor_share_pct": _plain(self.vendor_share_pct),
            "vendor_cap": _money(self.vendor_cap),
            "guaranteed_savings": _money(self.guaranteed_savings),
        }


@dataclass(frozen=True)
class Terms:
    """Validated performance terms of one order; build with :func:`parse_terms`."""

    period: str
    periods: int
    fixed_fee: Decimal
    at_risk_fee: Decimal
    bonus_pool: Decimal
    holdback_pct: Decimal
    holdback_window: int
    kpis: tuple[Kpi, ...] = ()
    service_credits: ServiceCredits | None = None
    shared_savings: SharedSavings | None = None

    def kpi_codes(self) -> set[str]:
        """Every KPI code an observation may name."""
        codes = {kpi.code for kpi in self.kpis}
        if self.service_credits is not None:
            codes.add(self.service_credits.kpi)
        if self.shared_savings is not None:
            codes.add(self.shared_savings.kpi)
        return codes

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON form: ``parse_terms(t.to_dict()) == t``.

        Money is a string with two decimals, percentages and measurements are normalized
        decimal strings, counts are integers; absent optional parts are left out.
        """
        data: dict[str, Any] = {
            "period": self.period,
            "periods": self.periods,
            "fixed_fee": _money(self.fixed_fee),
            "at_risk_fee": _money(self.at_risk_fee),
            "bonus_pool": _money(self.bonus_pool),
            "holdback_pct": _plain(self.holdback_pct),
            "holdback_window": self.holdback_window,
            "kpis": [kpi.to_dict() for kpi in self.kpis],
        }
        if self.service_credits is not None:
            data["service_credits"] = self.service_credits.to_dict()
        if self.shared_savings is not None:
            data["shared_savings"] = self.shared_savings.to_dict()
        return data


# --------------------------------------------------------------------------------------
# Parsing and validation


@dataclass(frozen=True)
class _Kind:
    """What a number field holds: its decimal places and allowed range, for messages too."""

    noun: str
    places: int
    low: Decimal | None
    high: Decimal | None
    low_open: bool = False
    money: bool = False


_MONEY = _Kind("an amount", 2, Decimal(0), Decimal("999999999999.99"), money=True)
_PERCENT = _Kind("a percentage", 6, Decimal(0), Decimal(100))
_WEIGHT = _Kind("a weight", 10, Decimal(0), Decimal(1), low_open=True)
_MEASURE = _Kind("a measurement", 10, Decimal("-1e15"), Decimal("1e15"))
_USE = _Kind("a measurement", 10, Decimal(0), Decimal("1e15"))
_PRICE = _Kind("a unit price", 6, Decimal(0), Decimal("1e9"), low_open=True)

_TERMS_KEYS = frozenset(
    {
        "period",
        "periods",
        "fixed_fee",
        "at_risk_fee",
        "bonus_pool",
        "holdback_pct",
        "holdback_window",
        "kpis",
        "service_credits",
        "shared_savings",
    }
)
_KPI_KEYS = frozenset(
    {"code", "name", "unit", "direction", "weight", "baseline", "floor", "target", "stretch"}
)
_CREDITS_KEYS = frozenset({"kpi", "applies_to", "tiers", "cap_pct"})
_TIER_KEYS = frozenset({"below", "credit_pct"})
_SAVINGS_KEYS = frozenset(
    {
        "kpi",
        "baseline_use",
        "adjustments",
        "unit_price",
        "vendor_share_pct",
        "vendor_cap",
        "guaranteed_savings",
    }
)
_ADJUSTMENT_KEYS = frozenset({"amount", "reason"})

_REQUIRED = object()


def _to_decimal(raw: Any) -> Decimal:
    """A plain finite number from a string, int, Decimal or float; ValueError otherwise."""
    if isinstance(raw, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(raw, float):
        raw = repr(raw)  # the shortest text that reads back as this float, e.g. "0.1"
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise ValueError("must be a finite number")
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        if len(text) <= _MAX_NUMBER_TEXT and _NUMBER.fullmatch(text):
            return Decimal(text)
        raise ValueError('must be a number written with digits, e.g. "97.5"')
    raise ValueError("must be a number")


def _check_number(raw: Any, kind: _Kind) -> Decimal:
    """``raw`` as a number of ``kind``, normalized; ValueError with a message otherwise."""
    with localcontext(_EXACT):
        value = _to_decimal(raw)
        exponent = value.normalize().as_tuple().exponent
        assert isinstance(exponent, int)  # finite numbers only, checked above
        if -exponent > kind.places:
            raise ValueError(f"must have at most {kind.places} decimal places")
        too_low = kind.low is not None and (value <= kind.low if kind.low_open else value < kind.low)
        too_high = kind.high is not None and value > kind.high
        if too_low or too_high:
            raise ValueError(_range_message(kind))
        return value.quantize(CENT) if kind.money else _normalize(value)


def _range_message(kind: _Kind) -> str:
    low, high = _plain(kind.low or Decimal(0)), _plain(kind.high or Decimal(0))
    if kind.low is None:
        return f"must be {kind.noun} of at most {high}"
    if kind.high is None:
        return f"must be {kind.noun} of at least {low}"
    if kind.low_open:
        return f"must be {kind.noun} above {low} and at most {high}"
    return f"must be {kind.noun} from {low} to {high}"


class _Errors:
    """Collects every problem so the caller can show them all at once."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, message)


class _Fields:
    """Reads the fields of one JSON object, recording errors under dotted paths."""

    def __init__(self, data: Mapping[str, Any], path: str, errors: _Errors, known: frozenset):
        self.data = data
        self.path = path
        self.errors = errors
        for key in data:
            if key not in known:
                errors.add(self.at(str(key)), "is not a known field")

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def error(self, key: str, message: str) -> None:
        self.errors.add(self.at(key), message)

    def _get(self, key: str, default: Any) -> tuple[bool, Any]:
        """(present, value); records "is required" when absent and required."""
        value = self.data.get(key)
        if value is None:
            if default is _REQUIRED:
                self.error(key, "is required")
            return False, default if default is not _REQUIRED else None
        return True, value

    def number(self, key: str, kind: _Kind, default: Any = _REQUIRED) -> Decimal | None:
        present, raw = self._get(key, default)
        if not present:
            return raw
        try:
            return _check_number(raw, kind)
        except ValueError as err:
            self.error(key, str(err))
            return None

    def integer(self, key: str, low: int, high: int, default: Any = _REQUIRED) -> int | None:
        present, raw = self._get(key, default)
        if not present:
            return raw
        try:
            value = _to_decimal(raw)
        except ValueError:
            value = None
        if value is None or value != value.to_integral_value() or not low <= value <= high:
            self.error(key, f"must be a whole number from {low} to {high}")
            return None
        return int(value)

    def text(self, key: str, max_length: int, *, allow_empty: bool = False) -> str | None:
        present, raw = self._get(key, _REQUIRED)
        if not present:
            return None
        if not isinstance(raw, str):
            self.error(key, "must be text")
            return None
        text = raw.strip()
        if not text and not allow_empty:
            self.error(key, "must not be empty")
            return None
        if len(text) > max_length:
            self.error(key, f"must be at most {max_length} characters")
            return None
        return text

    def choice(self, key: str, choices: tuple[str, ...]) -> str | None:
        present, raw = self._get(key, _REQUIRED)
        if not present:
            return None
        if raw not in choices:
            self.error(key, "must be one of " + ", ".join(choices))
            return None
        return raw

    def code(self, key: str) -> str | None:
        present, raw = self._get(key, _REQUIRED)
        if not present:
            return None
        if not isinstance(raw, str) or not _CODE.fullmatch(raw):
            self.error(
                key,
                "must be a code of lowercase letters, digits and underscores, "
                "starting with a letter, at most 40 characters",
            )
            return None
        return raw

    def items(self, key: str, max_items: int, *, required: bool) -> list[Any] | None:
        """The list under ``key``; None when absent (and allowed) or invalid."""
        present, raw = self._get(key, _REQUIRED if required else None)
        if not present:
            return None
        if not isinstance(raw, list | tuple):
            self.error(key, "must be a list")
            return None
        if len(raw) > max_items:
            self.error(key, f"must have at most {max_items} entries")
            return None
        return list(raw)


def _as_object(raw: Any, path: str, errors: _Errors) -> Mapping[str, Any] | None:
    if not isinstance(raw, Mapping):
        errors.add(path, "must be an object")
        return None
    return raw


def parse_terms(data: Mapping[str, Any]) -> Terms:
    """Validate the JSON form of performance terms (DESIGN section 5) and return ``Terms``.

    Numbers may be strings (preferred), ints, Decimals or floats; booleans are refused.
    Percentages are percent numbers ("10" is 10%). Every problem is collected into one
    :class:`TermsError` whose ``fields`` map dotted paths to messages.
    """
    if not isinstance(data, Mapping):
        raise TermsError({"terms": "must be an object"})
    errors = _Errors()
    top = _Fields(data, "", errors, _TERMS_KEYS)
    period = top.choice("period", PERIOD_UNITS)
    periods = top.integer("periods", 1, MAX_PERIODS)
    fixed_fee = top.number("fixed_fee", _MONEY)
    at_risk_fee = top.number("at_risk_fee", _MONEY)
    bonus_pool = top.number("bonus_pool", _MONEY, default=ZERO_MONEY)
    holdback_pct = top.number("holdback_pct", _PERCENT, default=Decimal(0))
    holdback_window = _parse_holdback_window(top, holdback_pct, periods)
    kpis = _parse_kpis(top, errors)
    service_credits = _parse_service_credits(top.raw("service_credits"), errors)
    savings = _parse_shared_savings(top.raw("shared_savings"), errors)
    _check_pay_needs_kpis(top, at_risk_fee, bonus_pool, kpis)
    if errors.fields:
        raise TermsError(errors.fields)
    # No error recorded means no value above is None.
    return Terms(
        period=period,
        periods=periods,
        fixed_fee=fixed_fee,
        at_risk_fee=at_risk_fee,
        bonus_pool=bonus_pool,
        holdback_pct=holdback_pct,
        holdback_window=holdback_window,
        kpis=kpis,
        service_credits=service_credits,
        shared_savings=savings,
    )


def parse_observation_value(raw: Any) -> Decimal:
    """Validate one reported KPI value (same rules as a measurement in the terms).

    Raises :class:`TermsError` with the message under ``"value"``.
    """
    try:
        return _check_number(raw, _MEASURE)
    except ValueError as err:
        raise TermsError({"value": str(err)}) from None


def _parse_holdback_window(top: _Fields, holdback_pct: Decimal | None, periods: int | None) -> int | None:
    if top.raw("holdback_window") is None:
        if holdback_pct:
            top.error("holdback_window", "is required when holdback_pct is above 0")
            return None
        return 1  # nothing is held back, so the window only groups periods
    return top.integer("holdback_window", 1, periods or MAX_PERIODS)


def _parse_kpis(top: _Fields, errors: _Errors) -> tuple[Kpi, ...] | None:
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
            errors.add("kpis", f"weights must add up to 1 (they add up to {_plain(total)})")
    return tuple(kpis)


def _parse_kpi(raw: Any, path: str, errors: _Errors) -> Kpi | None:
    data = _as_object(raw, path, errors)
    if data is None:
        return None
    fields = _Fields(data, path, errors, _KPI_KEYS)
    values = {
        "code": fields.code("code"),
        "name": fields.text("name", 200),
        "unit": fields.text("unit", 40, allow_empty=True),
        "direction": fields.choice("direction", DIRECTIONS),
        "weight": fields.number("weight", _WEIGHT),
        "baseline": fields.number("baseline", _MEASURE),
        "floor": fields.number("floor", _MEASURE),
        "target": fields.number("target", _MEASURE),
        "stretch": fields.number("stretch", _MEASURE, default=None),
    }
    if any(value is None for key, value in values.items() if key != "stretch"):
        return None
    if data.get("stretch") is not None and values["stretch"] is None:
        return None
    kpi = Kpi(**values)
    return kpi if _check_kpi_order(kpi, fields) else None


def _check_kpi_order(kpi: Kpi, fields: _Fields) -> bool:
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


def _parse_service_credits(raw: Any, errors: _Errors) -> ServiceCredits | None:
    if raw is None:
        return None
    data = _as_object(raw, "service_credits", errors)
    if data is None:
        return None
    fields = _Fields(data, "service_credits", errors, _CREDITS_KEYS)
    kpi = fields.code("kpi")
    applies_to = fields.choice("applies_to", ("fixed_fee",))
    cap_pct = fields.number("cap_pct", _PERCENT)
    tiers = _parse_tiers(fields, errors)
    if kpi is None or applies_to is None or cap_pct is None or tiers is None:
        return None
    return ServiceCredits(kpi=kpi, applies_to=applies_to, tiers=tiers, cap_pct=cap_pct)


def _parse_tiers(fields: _Fields, errors: _Errors) -> tuple[CreditTier, ...] | None:
    items = fields.items("tiers", MAX_TIERS, required=True)
    if items is None:
        return None
    if not items:
        fields.error("tiers", "must have at least one tier")
        return None
    tiers: list[CreditTier | None] = []
    for index, raw in enumerate(items):
        path = f"service_credits.tiers.{index}"
        data = _as_object(raw, path, errors)
        if data is None:
            tiers.append(None)
            continue
        tier_fields = _Fields(data, path, errors, _TIER_KEYS)
        below = tier_fields.number("below", _MEASURE)
        credit_pct = tier_fields.number("credit_pct", _PERCENT)
        ok = below is not None and credit_pct is not None
        tiers.append(CreditTier(below, credit_pct) if ok else None)
    if any(tier is None for tier in tiers):
        return None
    checked = tuple(tiers)
    return checked if _check_tier_order(checked, errors) else None


def _check_tier_order(tiers: tuple[CreditTier, ...], errors: _Errors) -> bool:
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
                f"must be at least {_plain(upper.credit_pct)}, the credit of the higher "
                f"threshold {_plain(upper.below)}",
            )
            ok = False
    return ok


def _parse_shared_savings(raw: Any, errors: _Errors) -> SharedSavings | None:
    if raw is None:
        return None
    data = _as_object(raw, "shared_savings", errors)
    if data is None:
        return None
    fields = _Fields(data, "shared_savings", errors, _SAVINGS_KEYS)
    values = {
        "kpi": fields.code("kpi"),
        "baseline_use": fields.number("baseline_use", _USE),
        "adjustments": _parse_adjustments(fields, errors),
        "unit_price": fields.number("unit_price", _PRICE),
        "vendor_share_pct": fields.number("vendor_share_pct", _PERCENT),
        "vendor_cap": fields.number("vendor_cap", _MONEY),
        "guaranteed_savings": fields.number("guaranteed_savings", _MONEY),
    }
    if any(value is None for value in values.values()):
        return None
    return SharedSavings(**values)


def _parse_adjustments(fields: _Fields, errors: _Errors) -> tuple[Adjustment, ...] | None:
    items = fields.items("adjustments", MAX_ADJUSTMENTS, required=True)
    if items is None:
        return None
    adjustments: list[Adjustment | None] = []
    for index, raw in enumerate(items):
        path = f"shared_savings.adjustments.{index}"
        data = _as_object(raw, path, errors)
        if data is None:
            adjustments.append(None)
            continue
        item = _Fields(data, path, errors, _ADJUSTMENT_KEYS)
        amount = item.number("amount", _MEASURE)
        reason = item.text("reason", 500)
        ok = amount is not None and reason is not None
        adjustments.append(Adjustment(amount, reason) if ok else None)
    if any(adjustment is None for adjustment in adjustments):
        return None
    return tuple(adjustments)


def _check_pay_needs_kpis(
    top: _Fields,
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


# --------------------------------------------------------------------------------------
# Number helpers


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _normalize(value: Decimal) -> Decimal:
    return Decimal(0) if value == 0 else value.normalize(_EXACT)


def _plain(value: Decimal) -> str:
    """A normalized decimal string without exponent: "0.55", "1", "100", "0"."""
    return "0" if value == 0 else format(_normalize(value), "f")


def _money(value: Decimal) -> str:
    return format(_cents(value), "f")
