"""The JSON Schema of performance terms (DESIGN section 5), declared from the same limits the validation
reads, so the OpenAPI document shows what `parse_terms` enforces: the fields, the unit choices, the start
date. Numbers may be strings (preferred) or JSON numbers, as `parse_terms` takes them; their ranges and the
rules between fields (weights adding up to 1, floor below target …) are answered by `parse_terms` with a
message per field. Pure data.
"""

from __future__ import annotations

from contracts.performance.fields import DATE_HIGH, DATE_LOW
from contracts.performance.terms import (
    ADJUSTMENT_REASON_MAX,
    CREDIT_APPLIES_TO,
    CREDITS_UNIT,
    DIRECTIONS,
    KPI_CODE_MAX,
    KPI_NAME_MAX,
    MAX_ADJUSTMENTS,
    MAX_KPIS,
    MAX_PERIODS,
    MAX_TIERS,
    NUMBER_TEXT_MAX,
    PERIOD_UNITS,
    REVENUE_UNIT,
    SAVINGS_UNIT,
    UNITS,
)

__all__ = ["TERMS_SCHEMA"]

_NUMBER = {"type": ["string", "number"], "maxLength": NUMBER_TEXT_MAX, "example": "99.5",
           "description": "A decimal number, preferably written as a string."}
_COUNT = {"type": "integer", "minimum": 1, "maximum": MAX_PERIODS}
_OPTIONAL_NUMBER = {**_NUMBER, "type": ["string", "number", "null"]}
_CODE = {"type": "string", "pattern": f"^[a-z][a-z0-9_]{{0,{KPI_CODE_MAX - 1}}}$", "example": "availability"}
_UNIT = {"type": "string", "enum": list(UNITS),
         "description": "percent is 0–100; count, kwh, hours, minutes and currency are never negative."}
_DATE = {"type": "string", "format": "date", "example": "2026-01-01",
         "description": f"From {DATE_LOW.isoformat()} to {DATE_HIGH.isoformat()}."}

KPI_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["code", "name", "unit", "direction", "weight", "baseline", "floor", "target"],
    "properties": {
        "code": _CODE, "name": {"type": "string", "minLength": 1, "maxLength": KPI_NAME_MAX}, "unit": _UNIT,
        "direction": {"type": "string", "enum": list(DIRECTIONS)},
        "weight": _NUMBER, "baseline": _NUMBER, "floor": _NUMBER, "target": _NUMBER,
        "stretch": _OPTIONAL_NUMBER,
        "min": {**_OPTIONAL_NUMBER, "description": "The KPI's own lowest value (inside its unit's bounds)."},
        "max": {**_OPTIONAL_NUMBER, "description": "The KPI's own highest value (above min)."},
    },
}

TERMS_SCHEMA = {
    "type": ["object", "null"], "additionalProperties": False,
    "description": "Performance terms (DESIGN section 5); amounts per period.",
    "required": ["period", "periods", "start_date", "fixed_fee", "at_risk_fee"],
    "properties": {
        "period": {"type": "string", "enum": list(PERIOD_UNITS)},
        "periods": _COUNT,
        "start_date": {**_DATE, "description": "The first day of period 1. " + _DATE["description"]},
        "fixed_fee": _NUMBER, "at_risk_fee": _NUMBER, "bonus_pool": _OPTIONAL_NUMBER,
        "holdback_pct": _OPTIONAL_NUMBER, "holdback_window": {**_COUNT, "type": ["integer", "null"]},
        "kpis": {"type": ["array", "null"], "maxItems": MAX_KPIS, "items": KPI_SCHEMA},
        "service_credits": {
            "type": ["object", "null"], "additionalProperties": False,
            "required": ["kpi", "applies_to", "tiers", "cap_pct"],
            "properties": {
                "kpi": _CODE,
                "unit": {**_UNIT, "default": CREDITS_UNIT,
                         "description": "When kpi is not one of kpis (default percent); else that KPI's unit."},
                "applies_to": {"type": "string", "enum": list(CREDIT_APPLIES_TO)},
                "tiers": {"type": "array", "minItems": 1, "maxItems": MAX_TIERS, "items": {
                    "type": "object", "additionalProperties": False, "required": ["below", "credit_pct"],
                    "properties": {"below": _NUMBER, "credit_pct": _NUMBER}}},
                "cap_pct": _NUMBER,
            },
        },
        "shared_savings": {
            "type": ["object", "null"], "additionalProperties": False,
            "required": ["kpi", "baseline_use", "adjustments", "unit_price", "vendor_share_pct", "vendor_cap",
                         "guaranteed_savings"],
            "properties": {
                "kpi": _CODE,
                "unit": {**_UNIT, "default": SAVINGS_UNIT,
                         "description": "When kpi is not one of kpis (default kwh); else that KPI's unit."},
                "baseline_use": _NUMBER,
                "adjustments": {"type": "array", "maxItems": MAX_ADJUSTMENTS, "items": {
                    "type": "object", "additionalProperties": False, "required": ["amount", "reason"],
                    "properties": {"amount": _NUMBER,
                                   "reason": {"type": "string", "minLength": 1, "maxLength": ADJUSTMENT_REASON_MAX}}}},
                "unit_price": _NUMBER, "vendor_share_pct": _NUMBER, "vendor_cap": _NUMBER,
                "guaranteed_savings": _NUMBER,
            },
        },
        "revenue_share": {
            "type": ["object", "null"], "additionalProperties": False,
            "description": "Revenue paid by the vendor to the city (never part of the order's value): "
                           "city_share_pct of each period's verified revenue, and at least minimum_guarantee per "
                           "block of guarantee_periods periods (a shorter last block owes the whole minimum).",
            "required": ["kpi", "city_share_pct", "minimum_guarantee", "guarantee_periods"],
            "properties": {
                "kpi": {**_CODE, "example": "ad_revenue",
                        "description": f"The code the vendor reports gross revenue under ({REVENUE_UNIT}): one of "
                                       f"kpis measured in {REVENUE_UNIT}, or a code of its own."},
                "city_share_pct": {**_NUMBER, "example": "50", "description": "Above 0 and at most 100."},
                "minimum_guarantee": {**_NUMBER, "example": "120000.00",
                                      "description": "Per guarantee block; 0 or more."},
                "guarantee_periods": {**_COUNT, "description": "Periods per guarantee block, at most periods."},
            },
        },
    },
}
