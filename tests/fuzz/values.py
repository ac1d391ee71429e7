"""Hostile values shared by the API and form sweeps, and a strategy for mostly-valid performance terms."""

from __future__ import annotations

import copy

from hypothesis import strategies as st

LONG = "x" * 10_000
# Text a person (or an attacker) might type into any field.
HOSTILE_TEXT = [
    "",
    " ",
    LONG,
    "a" * 201,
    "\x00",
    "nul\x00byte",
    "\x01\x02\x07\x1b[31mred\x7f",
    "line\r\nbreak\ttab",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE listing;--",
    "1 OR 1=1",
    "%s%s%n{0}{{7*7}}",
    "\u202eevil\u202c",  # right-to-left override
    "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",  # Hebrew and Arabic
    "\U0001f4a5\U0001f525 emoji \U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\ud7ff\ufeff\ufffe",
    "../../../../etc/passwd",
    "file:///etc/passwd",
]
# Numbers (and things that are not numbers) for amounts, quantities, percentages, counts and ids.
HOSTILE_NUMBERS = [
    "-1",
    "0",
    "-0",
    "0.001",
    "1e309",
    "1E5",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "99999999999999999999",
    "9999999999.99",
    "999999999999.99",
    "1,000,000.00",
    "$1,000",
    "12.345",
    "\u0661\u0662\u0663",  # Arabic-Indic digits
    "\u00b2",  # a superscript two: str.isdigit() says yes, int() says no
    "\uff11\uff12",  # full-width digits
    "0x10",
    "1_000",
    " 7 ",
]
# Wrong JSON types where a scalar is expected.
WRONG_TYPES = [None, True, False, -1, 0, 2**31, 2**63, 10**30, -(10**30), 1.5, [], ["1"], {}, {"a": 1}]

HOSTILE = HOSTILE_TEXT + HOSTILE_NUMBERS + WRONG_TYPES

hostile_values = st.sampled_from(HOSTILE)

_KPI = {"code": "availability", "name": "Availability", "unit": "percent", "direction": "higher", "weight": "1",
        "baseline": "96", "floor": "95", "target": "99", "stretch": "99.5"}
# DESIGN section 5, examples A (KPIs with a bonus), B (shared savings) and C (service credits).
TERMS = [
    {"period": "month", "periods": 12, "start_date": "2026-01-01", "fixed_fee": "10000.00",
     "at_risk_fee": "40000.00", "bonus_pool": "2000.00",
     "holdback_pct": "10", "holdback_window": 3, "kpis": [_KPI]},
    {"period": "year", "periods": 3, "start_date": "2026-01-01", "fixed_fee": "0", "at_risk_fee": "0", "kpis": [],
     "shared_savings": {"kpi": "energy_use", "baseline_use": "4000000", "unit_price": "0.11",
                        "adjustments": [{"amount": "100000", "reason": "weather"}], "vendor_share_pct": "70",
                        "vendor_cap": "180000.00", "guaranteed_savings": "200000.00"}},
    {"period": "quarter", "periods": 4, "start_date": "2026-01-01", "fixed_fee": "12000.00", "at_risk_fee": "0",
     "kpis": [],
     "service_credits": {"kpi": "uptime", "applies_to": "fixed_fee", "cap_pct": "50",
                         "tiers": [{"below": "99.9", "credit_pct": "10"}, {"below": "99.0", "credit_pct": "25"},
                                   {"below": "95.0", "credit_pct": "50"}]}},
]
_PATHS = [
    ("period",), ("periods",), ("start_date",), ("fixed_fee",), ("at_risk_fee",), ("bonus_pool",),
    ("holdback_pct",),
    ("holdback_window",), ("kpis",), ("kpis", 0), ("kpis", 0, "code"), ("kpis", 0, "direction"),
    ("kpis", 0, "weight"), ("kpis", 0, "floor"), ("kpis", 0, "target"), ("kpis", 0, "stretch"),
    ("kpis", 0, "name"), ("kpis", 0, "unit"), ("shared_savings",), ("shared_savings", "vendor_cap"),
    ("shared_savings", "unit_price"), ("shared_savings", "adjustments"), ("shared_savings", "baseline_use"),
    ("service_credits",), ("service_credits", "tiers"), ("service_credits", "tiers", 0, "below"),
    ("service_credits", "cap_pct"), ("unknown_field",),
]


def _put(data, path, value) -> None:
    """Set `value` at `path` where the path exists (a missing branch is left alone)."""
    def has(container, key) -> bool:
        if isinstance(container, dict):
            return key in container
        return isinstance(container, list) and isinstance(key, int) and key < len(container)

    target = data
    for key in path[:-1]:
        if not has(target, key):
            return
        target = target[key]
    if isinstance(target, dict) or has(target, path[-1]):
        target[path[-1]] = value


@st.composite
def performance_terms(draw):
    """Valid terms (DESIGN section 5 examples) with zero to three fields replaced by hostile values."""
    terms = copy.deepcopy(draw(st.sampled_from(TERMS)))
    for _ in range(draw(st.integers(0, 3))):
        _put(terms, draw(st.sampled_from(_PATHS)), draw(hostile_values))
    return terms
