"""Period dates (DESIGN section 5): period N runs from the start date plus N−1 period lengths to the day
before the start date plus N lengths, in calendar months; a day of the month that does not exist is clamped
to the month's last day (a term starting on 31 January has a first monthly period ending on 27 February).

Pure Python with no database and no Flask.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

from contracts.performance.terms import Terms

PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}

__all__ = ["PERIOD_MONTHS", "elapsed_periods", "period_dates"]


def _boundary(start: date, unit: str, count: int) -> date:
    """The first day after `count` periods (always counted from `start`, so clamping never accumulates)."""
    # Plain month arithmetic (what dateutil's relativedelta does, several times faster: a long settlement
    # dates every period).
    year, month = divmod(start.year * 12 + start.month - 1 + PERIOD_MONTHS[unit] * count, 12)
    month += 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def period_dates(start: date, terms: Terms, period: int) -> tuple[date, date]:
    """The first and last day of period `period` (1-based) of terms that start on `start`."""
    first = _boundary(start, terms.period, period - 1)
    return first, _boundary(start, terms.period, period) - timedelta(days=1)


def elapsed_periods(start: date, terms: Terms, on: date) -> int:
    """How many periods have ended before `on` (a period ends after its last day), at most the term's."""
    months = (on.year - start.year) * 12 + on.month - start.month
    count = max(0, min(terms.periods, months // PERIOD_MONTHS[terms.period] + 1))
    while count > 0 and _boundary(start, terms.period, count) > on:
        count -= 1
    return count
