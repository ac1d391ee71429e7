"""The admin-fee arithmetic of a sales report (DESIGN section 5b), pure: no Flask, no database.

Per line `net = gross − tax − freight − returns` (a line may be negative: returns of an earlier quarter's
sales); `fee = admin_fee_pct · max(Σ net, 0)`, rounded to cents `ROUND_HALF_UP` (the one money-rounding rule,
`marketplace.numbers.to_cents`). Example H: gross 125,000.00, tax 8,000.00, freight 2,000.00, returns
15,000.00 → net 100,000.00, at 1.5 % a fee of 1,500.00; net 33,333.33 at 1.25 % → 416.67.

Also the calendar of a report: quarters are written `2026Q3`; a report is due `report_due_days` after the
quarter's last day, its fee `fee_due_days` after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from marketplace.numbers import to_cents

ZERO = Decimal("0.00")
QUARTER = re.compile(r"([0-9]{4})Q([1-4])", re.ASCII)


def line_net(gross: Decimal, tax: Decimal, freight: Decimal, returns: Decimal) -> Decimal:
    """What one customer's sales count for: gross less tax, freight and returns (may be negative)."""
    return to_cents(gross - tax - freight - returns)


def net_total(nets: Iterable[Decimal]) -> Decimal:
    return to_cents(sum(nets, ZERO))


def admin_fee(total: Decimal, pct: Decimal) -> Decimal:
    """The office's fee: `pct` percent of the net total, never of a negative total."""
    return to_cents(pct / 100 * max(total, ZERO))


@dataclass(frozen=True)
class FeeFigures:
    net_total: Decimal
    fee: Decimal


def figures(nets: Iterable[Decimal], pct: Decimal) -> FeeFigures:
    total = net_total(nets)
    return FeeFigures(total, admin_fee(total, pct))


# --- quarters ------------------------------------------------------------------------------------------


def parse_quarter(text) -> tuple[int, int] | None:
    """(year, quarter) of `2026Q3`, or None for anything else."""
    match = QUARTER.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    year, number = int(match.group(1)), int(match.group(2))
    return (year, number) if year >= 1900 else None


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """The first and last day of a (valid) quarter."""
    parsed = parse_quarter(quarter)
    if parsed is None:
        raise ValueError(f"not a quarter: {quarter!r}")
    year, number = parsed
    first = date(year, 3 * number - 2, 1)
    after = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return first, after - timedelta(days=1)


def previous_quarter(day: date) -> str:
    """The last quarter that ended before `day`."""
    first, _ = quarter_bounds(quarter_of(day))
    return quarter_of(first - timedelta(days=1))


def due_dates(quarter: str, report_due_days: int, fee_due_days: int) -> tuple[date, date]:
    """(report due, fee due) for a quarter."""
    _, last = quarter_bounds(quarter)
    return last + timedelta(days=report_due_days), last + timedelta(days=fee_due_days)
