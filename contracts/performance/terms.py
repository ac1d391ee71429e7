"""Pay-for-performance terms: what an order promises (DESIGN section 5).

The term dataclasses (:class:`Terms` and its parts), their limits and :class:`TermsError`. Build terms with
:func:`contracts.performance.validation.parse_terms`; settle them with
:func:`contracts.performance.settlement.settle`. Pure Python with no database and no Flask. Money is
``Decimal`` in whole cents and percentages are percent numbers ("10" is 10%).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from contracts.performance.amounts import money, plain

PERIOD_UNITS = ("month", "quarter", "year")
DIRECTIONS = ("higher", "lower")
CREDIT_APPLIES_TO = ("fixed_fee",)

# What a KPI measures, and the bounds every value of that unit keeps (None: unbounded above).
UNITS = ("percent", "count", "kwh", "hours", "minutes", "currency")
UNIT_BOUNDS: dict[str, tuple[Decimal, Decimal | None]] = {
    "percent": (Decimal(0), Decimal(100)),
    **{unit: (Decimal(0), None) for unit in ("count", "kwh", "hours", "minutes", "currency")},
}
# How a sentence names a unit ("Availability is a percentage") and how a column heading shows it.
UNIT_NOUNS = {"percent": "a percentage", "count": "a count", "kwh": "an energy use in kWh",
              "hours": "a number of hours", "minutes": "a number of minutes", "currency": "an amount of money"}
UNIT_LABELS = {"percent": "%", "count": "count", "kwh": "kWh", "hours": "hours", "minutes": "minutes",
               "currency": "USD"}
# How people commonly write each unit (a pilot's metric, terms written before units were a choice).
UNIT_SPELLINGS = {
    "percent": ("%", "percent", "pct", "percentage", "per cent"),
    "kwh": ("kwh", "kilowatt-hours", "kilowatt hours"),
    "hours": ("h", "hr", "hrs", "hour", "hours"),
    "minutes": ("min", "mins", "minute", "minutes"),
    "currency": ("$", "usd", "currency", "dollars"),
    "count": ("count", "#", "number", "units", "items"),
}


def guess_unit(text: Any) -> str:
    """The unit a free-text unit most likely means ("%" → percent, "kWh" → kwh); count when unknown."""
    written = str(text or "").strip().lower()
    return next((unit for unit, spellings in UNIT_SPELLINGS.items() if written in spellings), "count")


# The unit of a service-credit or shared-savings code that is not one of the KPIs, unless the block says.
CREDITS_UNIT = "percent"
SAVINGS_UNIT = "kwh"
# Revenue is money: a revenue-share code is always measured in currency (a KPI it names must be too).
REVENUE_UNIT = "currency"

# Limits, declared once: the validation, the order form, the API schemas and the observation model read them.
MAX_PERIODS = 600
MAX_KPIS = 20
MAX_TIERS = 20
MAX_ADJUSTMENTS = 100
KPI_CODE_MAX = 40
KPI_NAME_MAX = 200
ADJUSTMENT_REASON_MAX = 500
# The longest number text accepted (a measurement has at most 16 digits before the point and 10 after).
NUMBER_TEXT_MAX = 40


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
    min: Decimal | None = None  # the KPI's own bounds, inside its unit's
    max: Decimal | None = None

    def measure(self) -> Measure:
        return Measure(self.code, self.name, self.unit, self.min, self.max)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "code": self.code,
            "name": self.name,
            "unit": self.unit,
            "direction": self.direction,
            "weight": plain(self.weight),
            "baseline": plain(self.baseline),
            "floor": plain(self.floor),
            "target": plain(self.target),
        }
        for key in ("stretch", "min", "max"):
            if getattr(self, key) is not None:
                data[key] = plain(getattr(self, key))
        return data


@dataclass(frozen=True)
class CreditTier:
    below: Decimal
    credit_pct: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"below": plain(self.below), "credit_pct": plain(self.credit_pct)}


@dataclass(frozen=True)
class ServiceCredits:
    kpi: str
    applies_to: str
    tiers: tuple[CreditTier, ...]
    cap_pct: Decimal
    unit: str = CREDITS_UNIT

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
            "unit": self.unit,
            "applies_to": self.applies_to,
            "tiers": [tier.to_dict() for tier in self.tiers],
            "cap_pct": plain(self.cap_pct),
        }


@dataclass(frozen=True)
class Adjustment:
    amount: Decimal
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"amount": plain(self.amount), "reason": self.reason}


@dataclass(frozen=True)
class SharedSavings:
    kpi: str
    baseline_use: Decimal
    adjustments: tuple[Adjustment, ...]
    unit_price: Decimal
    vendor_share_pct: Decimal
    vendor_cap: Decimal
    guaranteed_savings: Decimal
    unit: str = SAVINGS_UNIT

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
            "unit": self.unit,
            "baseline_use": plain(self.baseline_use),
            "adjustments": [adjustment.to_dict() for adjustment in self.adjustments],
            "unit_price": plain(self.unit_price),
            "vendor_share_pct": plain(self.vendor_share_pct),
            "vendor_cap": money(self.vendor_cap),
            "guaranteed_savings": money(self.guaranteed_savings),
        }


@dataclass(frozen=True)
class RevenueShare:
    """Revenue paid by the vendor to the city (DESIGN section 5): ``city_share_pct`` of each period's verified
    gross revenue, and at least ``minimum_guarantee`` per block of ``guarantee_periods`` periods (see
    :mod:`contracts.performance.revenue`)."""

    kpi: str
    city_share_pct: Decimal
    minimum_guarantee: Decimal
    guarantee_periods: int

    @property
    def unit(self) -> str:
        return REVENUE_UNIT

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
            "city_share_pct": plain(self.city_share_pct),
            "minimum_guarantee": money(self.minimum_guarantee),
            "guarantee_periods": self.guarantee_periods,
        }


@dataclass(frozen=True)
class Terms:
    """Validated performance terms of one order; build with :func:`parse_terms`."""

    period: str
    periods: int
    start_date: date  # the first day of period 1
    fixed_fee: Decimal
    at_risk_fee: Decimal
    bonus_pool: Decimal
    holdback_pct: Decimal
    holdback_window: int
    kpis: tuple[Kpi, ...] = ()
    service_credits: ServiceCredits | None = None
    shared_savings: SharedSavings | None = None
    revenue_share: RevenueShare | None = None

    def kpi_codes(self) -> set[str]:
        """Every KPI code an observation may name."""
        codes = {kpi.code for kpi in self.kpis}
        if self.service_credits is not None:
            codes.add(self.service_credits.kpi)
        if self.shared_savings is not None:
            codes.add(self.shared_savings.kpi)
        if self.revenue_share is not None:
            codes.add(self.revenue_share.kpi)
        return codes

    def measure(self, code: str) -> Measure | None:
        """What an observable code measures (its name, unit and bounds); None for a code of no KPI."""
        for kpi in self.kpis:
            if kpi.code == code:
                return kpi.measure()
        for block in (self.service_credits, self.shared_savings, self.revenue_share):
            if block is not None and block.kpi == code:
                return Measure(code, code, block.unit)
        return None

    def measures(self) -> tuple[Measure, ...]:
        """Every observable code's measure: the KPIs in order, then the credit, savings and revenue codes."""
        codes = [kpi.code for kpi in self.kpis]
        codes += sorted(self.kpi_codes() - set(codes))
        return tuple(m for code in codes if (m := self.measure(code)) is not None)

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON form: ``parse_terms(t.to_dict()) == t``.

        Money is a string with two decimals, percentages and measurements are normalized
        decimal strings, counts are integers; absent optional parts are left out.
        """
        data: dict[str, Any] = {
            "period": self.period,
            "periods": self.periods,
            "start_date": self.start_date.isoformat(),
            "fixed_fee": money(self.fixed_fee),
            "at_risk_fee": money(self.at_risk_fee),
            "bonus_pool": money(self.bonus_pool),
            "holdback_pct": plain(self.holdback_pct),
            "holdback_window": self.holdback_window,
            "kpis": [kpi.to_dict() for kpi in self.kpis],
        }
        if self.service_credits is not None:
            data["service_credits"] = self.service_credits.to_dict()
        if self.shared_savings is not None:
            data["shared_savings"] = self.shared_savings.to_dict()
        if self.revenue_share is not None:
            data["revenue_share"] = self.revenue_share.to_dict()
        return data


# --------------------------------------------------------------------------------------
# Measures: what a value of one observable code may be


@dataclass(frozen=True)
class Bound:
    """A bound a value broke: ``side`` "least" or "most", the ``limit``, and whether it is the unit's own
    bound (``by_unit``) or the KPI's ``min``/``max``."""

    side: str
    limit: Decimal
    by_unit: bool


@dataclass(frozen=True)
class Measure:
    """An observable code with its name, unit and bounds (the unit's, narrowed by the KPI's min/max)."""

    code: str
    name: str
    unit: str
    min: Decimal | None = None
    max: Decimal | None = None

    @property
    def unit_label(self) -> str:
        return UNIT_LABELS.get(self.unit, self.unit)

    @property
    def unit_noun(self) -> str:
        return UNIT_NOUNS.get(self.unit, self.unit)

    @property
    def low(self) -> Decimal | None:
        """The lowest value allowed: the KPI's min, else its unit's bound."""
        return self.min if self.min is not None else UNIT_BOUNDS.get(self.unit, (None, None))[0]

    @property
    def high(self) -> Decimal | None:
        """The highest value allowed (None: unbounded)."""
        return self.max if self.max is not None else UNIT_BOUNDS.get(self.unit, (None, None))[1]

    @property
    def label(self) -> str:
        """The name with its unit, as pages show it: "Availability (%)"."""
        return f"{self.name} ({self.unit_label})"

    def broken_bound(self, value: Decimal) -> Bound | None:
        """The first bound ``value`` lies outside of (the unit's before the KPI's), or None."""
        low, high = UNIT_BOUNDS.get(self.unit, (None, None))
        if low is not None and value < low:
            return Bound("least", low, True)
        if high is not None and value > high:
            return Bound("most", high, True)
        if self.min is not None and value < self.min:
            return Bound("least", self.min, False)
        if self.max is not None and value > self.max:
            return Bound("most", self.max, False)
        return None

    def bound_reason(self, bound: Bound) -> str:
        """Why the bound holds, as a clause: "Availability is a percentage"."""
        if bound.by_unit:
            return f"{self.name} is {self.unit_noun}"
        word = "maximum" if bound.side == "most" else "minimum"
        return f"the terms set {self.name}'s {word} at {plain(bound.limit)}"
