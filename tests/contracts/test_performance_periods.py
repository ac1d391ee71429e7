"""Period dates of performance terms (contracts/performance/periods.py, DESIGN section 5)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.performance import elapsed_periods, parse_terms, period_dates
from tests.contracts.performance_builders import streetlight_data


def _terms(period="month", periods=12):
    return parse_terms(streetlight_data(period=period, periods=periods, holdback_window=1))


@pytest.mark.parametrize(("unit", "number", "first", "last"), [
    ("month", 1, date(2026, 1, 1), date(2026, 1, 31)),
    ("month", 2, date(2026, 2, 1), date(2026, 2, 28)),
    ("quarter", 2, date(2026, 4, 1), date(2026, 6, 30)),
    ("year", 3, date(2028, 1, 1), date(2028, 12, 31)),
])
def test_periods_are_calendar_lengths_from_the_start(unit, number, first, last):
    assert period_dates(date(2026, 1, 1), _terms(unit), number) == (first, last)


def test_a_missing_day_of_the_month_is_clamped_without_drifting():
    terms = _terms()
    start = date(2026, 1, 31)
    assert period_dates(start, terms, 1) == (date(2026, 1, 31), date(2026, 2, 27))
    assert period_dates(start, terms, 2) == (date(2026, 2, 28), date(2026, 3, 30))
    assert period_dates(start, terms, 3) == (date(2026, 3, 31), date(2026, 4, 29))


@pytest.mark.parametrize(("on", "elapsed"), [
    (date(2025, 12, 1), 0), (date(2026, 1, 31), 0), (date(2026, 2, 27), 0), (date(2026, 2, 28), 1),
    (date(2026, 3, 30), 1), (date(2026, 3, 31), 2), (date(2040, 1, 1), 12),
])
def test_a_period_has_elapsed_the_day_after_its_last_day(on, elapsed):
    terms = _terms()
    start = date(2026, 1, 31)
    assert elapsed_periods(start, terms, on) == elapsed
    if elapsed:
        assert period_dates(start, terms, elapsed)[1] < on
    if elapsed < terms.periods:
        assert period_dates(start, terms, elapsed + 1)[1] >= on
