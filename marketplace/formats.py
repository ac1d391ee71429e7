"""How money, dates, periods and factors are written for people: one helper per kind, used by pages, PDFs,
e-mails, CSV files and the sentences of error messages alike (DESIGN section 9: "money formatted the same
way everywhere"). Babel does the locale work; the app writes US English and US dollars.

The one rule for dates and times: a date is written as `day` ('1 Apr 2027': day and month cannot be mixed
up); a moment as `moment` in the consortium's time zone with the zone named ('30 Nov 2026, 11:54 PM MST'),
the same date followed by a US 12-hour clock. The JSON API and CSV files keep ISO 8601; people never see it.

Pure: no Flask. The zone is given by the caller: `marketplace.templating.when` supplies the current
consortium's, e-mails and PDFs the zone of the consortium the object belongs to.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

LOCALE = "en_US"
CURRENCY = "USD"

__all__ = ["clock", "day", "moment", "money", "percent", "period_span"]


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


def _local(value: datetime, zone: tzinfo) -> datetime:
    # A naive timestamp is UTC: the database's timestamps are all UTC (marketplace.db.UTCDateTime).
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)


def clock(value: datetime, zone: tzinfo) -> str:
    """The time of day in `zone` with the zone's abbreviation: '11:54 PM MST'."""
    local = _local(value, zone)
    # Babel writes the clock; the zone is named by its tz-database abbreviation (MST, MDT, CET, UTC),
    # which Babel's own `z` only knows for some zones in en_US (it writes '+0100' for Berlin).
    return f"{format_datetime(local, 'h:mm a', tzinfo=zone, locale=LOCALE)} {local.tzname()}"


def moment(value: datetime | date | None, zone: tzinfo) -> str:
    """A timestamp for people, in `zone` with the zone named: '30 Nov 2026, 11:54 PM MST'. A date (no
    time of day) is written as `day`; None → '—'."""
    if value is None:
        return "—"
    if not isinstance(value, datetime):
        return day(value)
    return f"{day(_local(value, zone).date())}, {clock(value, zone)}"


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
