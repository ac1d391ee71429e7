"""Pay-for-performance terms: what an order promises (DESIGN section 5).

The term dataclasses (:class:`Terms` and its parts), their limits and :class:`TermsError`. Build terms with
:func:`contracts.performance.validation.parse_terms`; settle them with
:func:`contracts.performance.settlement.settle`. Pure Python with no database and no Flask. Money is
``Decimal`` in whole cents and percentages are percent numbers ("10" is 10%).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from contracts.performance.amounts import money, plain

PERIOD_UNITS = ("month", "quarter", "year")
DIRECTIONS = ("higher", "lower")
CREDIT_APPLIES_TO = ("fixed_fee",)

# Limits, declared once: the validation, the order form, the API schemas and the observation model read them.
MAX_PERIODS = 600
MAX_KPIS = 20
MAX_TIERS = 20
MAX_ADJUSTMENTS = 100
KPI_CODE_MAX = 40
KPI_NAME_MAX = 200
KPI_UNIT_MAX = 40
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
        if self.stretch is not None:
            data["stretch"] = plain(self.stretch)
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
            "baseline_use": plain(self.baseline_use),
            "adjustments": [adjustment.to_dict() for adjustment in self.adjustments],
            "unit_price": plain(self.unit_price),
            "vendor_share_pct": plain(self.vendor_share_pct),
            "vendor_cap": money(self.vendor_cap),
            "guaranteed_savings": money(self.guaranteed_savings),
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
        return data
