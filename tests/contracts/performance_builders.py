"""Builders of performance terms and observations for the pay-for-performance arithmetic tests."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal

import pytest

from contracts.performance import TermsError, parse_terms

D = Decimal
DELETE = object()


# --------------------------------------------------------------------------------------
# Builders


def availability_kpi(**changes) -> dict:
    kpi = {
        "code": "availability",
        "name": "Street light availability",
        "unit": "percent",
        "direction": "higher",
        "weight": "1",
        "baseline": "92.0",
        "floor": "95.0",
        "target": "99.0",
        "stretch": "99.5",
    }
    kpi.update(changes)
    return kpi


def streetlight_data(**changes) -> dict:
    """Worked example A: street lights as a service."""
    data = {
        "period": "month",
        "periods": 3,
        "start_date": "2026-01-01",
        "fixed_fee": "10000.00",
        "at_risk_fee": "40000.00",
        "bonus_pool": "2000.00",
        "holdback_pct": "10",
        "holdback_window": 3,
        "kpis": [availability_kpi()],
    }
    data.update(changes)
    return data


def savings_section(**changes) -> dict:
    """Worked example B: shared savings with a guarantee."""
    section = {
        "kpi": "energy_use",
        "baseline_use": "4000000",
        "adjustments": [{"amount": "100000", "reason": "Streets added to the network"}],
        "unit_price": "0.11",
        "vendor_share_pct": "70",
        "vendor_cap": "180000.00",
        "guaranteed_savings": "200000.00",
    }
    section.update(changes)
    return section


def credits_section(**changes) -> dict:
    """Worked example C: service credits on the fixed (platform) fee."""
    section = {
        "kpi": "uptime",
        "applies_to": "fixed_fee",
        "tiers": [
            {"below": "99.9", "credit_pct": "10"},
            {"below": "99.0", "credit_pct": "25"},
            {"below": "95.0", "credit_pct": "50"},
        ],
        "cap_pct": "50",
    }
    section.update(changes)
    return section


def full_data() -> dict:
    """Terms using every section, for validation and round trips."""
    return streetlight_data(
        periods=12,
        service_credits=credits_section(),
        shared_savings=savings_section(),
    )


def observe(code: str, *values: str) -> dict[tuple[int, str], Decimal]:
    """Verified values of one KPI for periods 1, 2, …; None leaves a period unobserved."""
    return {(n, code): D(v) for n, v in enumerate(values, start=1) if v is not None}


def changed(data: dict, path: tuple, value) -> dict:
    """A deep copy of ``data`` with the value at ``path`` replaced (or deleted)."""
    data = copy.deepcopy(data)
    *parents, last = path
    target = data
    for key in parents:
        target = target[key]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return data


def month_dates(period: int, year: int = 2026) -> tuple[str, str]:
    """The first and last day of monthly period ``period`` (1–12) of terms starting on 1 January."""
    first = date(year, period, 1)
    after = date(year + period // 12, period % 12 + 1, 1)
    return first.isoformat(), (after - timedelta(days=1)).isoformat()


def period_row(period, pf, at_risk_earned, bonus, gross, holdback, paid_now, credits="0.00") -> dict:
    """A settled monthly period (terms starting on 1 January 2026) as DESIGN section 7 spells it."""
    start_date, end_date = month_dates(period)
    return {
        "period": period,
        "start_date": start_date,
        "end_date": end_date,
        "pf": pf,
        "at_risk_earned": at_risk_earned,
        "bonus": bonus,
        "credits": credits,
        "gross": gross,
        "holdback": holdback,
        "paid_now": paid_now,
        "status": "settled",
    }


def errors_of(data) -> dict[str, str]:
    with pytest.raises(TermsError) as info:
        parse_terms(data)
    return info.value.fields
