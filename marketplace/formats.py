"""How money, dates, periods and factors are written for people: one helper per kind, used by pages, PDFs,
e-mails, CSV files and the sentences of error messages alike (DESIGN section 9: "money formatted the same
way everywhere"). Babel does the locale work; the app writes US English and US dollars.

Pure: no Flask. Times are converted to a zone by `marketplace.templating.when`, which knows the consortium.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

LOCALE = "en_US"
CURRENCY = "USD"

__all__ = ["day", "money", "percent", "period_span"]


def money(value) -> str:
    """Decimal('1234.5') → '$1,234.50'; negative amounts with a minus sign ('−$12.00'); None → '—'."""
    if value is None:
        return "—"
    amount = Decimal(value)
    text = format_currency(abs(amount), CURRENCY, locale=LOCALE)
    return f"−{text}" if amount < 0 else text


def day(value: date | None) -> str:
    """date(2027, 4, 1) → '1 Apr 2027' (no ambiguity between day and month)."""
    if value is None:
        return "—"
    return format_date(value, "d MMM y", locale=LOCALE)


def period_span(start: date, end: date) -> str:
    """The months a period covers: 'Jan–Mar 2027', 'Dec 2026–Feb 2027', 'Apr 2027' for one month; a period
    that does not run from a month's first day to a month's last names its days ('15 Jan–14 Feb 2027')."""
    whole_months = start.day == 1 and (end.month != (end + timedelta(days=1)).month)
    if not whole_months:
        left = format_date(start, "d MMM" if start.year == end.year else "d MMM y", locale=LOCALE)
        return f"{left}–{day(end)}"
    if (start.year, start.month) == (end.year, end.month):
        return format_date(start, "MMM y", locale=LOCALE)
    left = format_date(start, "MMM" if start.year == end.year else "MMM y", locale=LOCALE)
    return f"{left}–{format_date(end, 'MMM y', locale=LOCALE)}"


def percent(factor, places: int = 2) -> str:
    """A factor as a percentage: Decimal('0.3333333333') → '33.33%'; 1 → '100.00%' (the JSON keeps factors
    unrounded; people read them rounded)."""
    if factor is None:
        return "—"
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(Decimal(factor) * 100, pattern, locale=LOCALE) + "%"
