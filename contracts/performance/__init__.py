"""Pay-for-performance arithmetic (DESIGN section 5): pure Python, no Flask, no database.

Callers import from here: ``from contracts.performance import parse_terms, settle, not_to_exceed``.

- :mod:`~contracts.performance.terms`: the term dataclasses, their limits and :class:`TermsError`;
- :mod:`~contracts.performance.validation`: :func:`parse_terms` and :func:`parse_observation_value`
  (reading fields with messages is in :mod:`~contracts.performance.fields`);
- :mod:`~contracts.performance.formulas`: one KPI or one section at a time (factors, credits, savings,
  not-to-exceed);
- :mod:`~contracts.performance.settlement`: :func:`settle` over every period, windows and totals;
- :mod:`~contracts.performance.revenue`: revenue share, the city's share per period and the guarantee blocks;
- :mod:`~contracts.performance.periods`: period dates;
- :mod:`~contracts.performance.preview`: :func:`payout_preview`, one period settled at the targets and floors;
- :mod:`~contracts.performance.amounts`: cents, exact contexts and the canonical strings of JSON;
- :mod:`~contracts.performance.schema`: the JSON Schema of the terms, for the API's OpenAPI document.
"""

from contracts.performance.formulas import (
    SavingsResult,
    kpi_bonus_factor,
    kpi_pf,
    not_to_exceed,
    service_credit,
    shared_savings,
)
from contracts.performance.periods import PERIOD_MONTHS, elapsed_periods, period_dates
from contracts.performance.preview import PayoutPreview, Scenario, payout_preview
from contracts.performance.revenue import GuaranteeBlock, RevenueRow, city_share, guarantee_blocks
from contracts.performance.schema import TERMS_SCHEMA
from contracts.performance.settlement import (
    KpiResult,
    PeriodResult,
    SavingsRow,
    Settlement,
    Totals,
    WindowResult,
    settle,
)
from contracts.performance.terms import (
    ADJUSTMENT_REASON_MAX,
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
    UNIT_LABELS,
    UNITS,
    Adjustment,
    Bound,
    CreditTier,
    Kpi,
    Measure,
    RevenueShare,
    ServiceCredits,
    SharedSavings,
    Terms,
    TermsError,
)
from contracts.performance.validation import parse_observation_value, parse_terms

__all__ = [
    "ADJUSTMENT_REASON_MAX",
    "DIRECTIONS",
    "KPI_CODE_MAX",
    "KPI_NAME_MAX",
    "MAX_ADJUSTMENTS",
    "MAX_KPIS",
    "MAX_PERIODS",
    "MAX_TIERS",
    "NUMBER_TEXT_MAX",
    "PERIOD_MONTHS",
    "PERIOD_UNITS",
    "REVENUE_UNIT",
    "TERMS_SCHEMA",
    "UNITS",
    "UNIT_LABELS",
    "Adjustment",
    "Bound",
    "CreditTier",
    "GuaranteeBlock",
    "Kpi",
    "KpiResult",
    "Measure",
    "PayoutPreview",
    "PeriodResult",
    "RevenueRow",
    "RevenueShare",
    "SavingsResult",
    "SavingsRow",
    "Scenario",
    "ServiceCredits",
    "Settlement",
    "SharedSavings",
    "Terms",
    "TermsError",
    "Totals",
    "WindowResult",
    "city_share",
    "elapsed_periods",
    "guarantee_blocks",
    "kpi_bonus_factor",
    "kpi_pf",
    "not_to_exceed",
    "parse_observation_value",
    "parse_terms",
    "payout_preview",
    "period_dates",
    "service_credit",
    "settle",
    "shared_savings",
]
