"""The arithmetic of financing instruments (DESIGN section 5b): level-payment amortization with its due dates,
and a zero-coupon mini-bond's yield, proceeds and liability. Pure Python: no Flask, no database.

Money is `Decimal`, rounded to cents half up as each amount is computed (`marketplace.numbers.to_cents`, the
one money-rounding rule); rates and factors are never rounded.

Amortization: ``r = annual_rate / 100 / payments_per_year``, ``n = years · payments_per_year``;
``payment = P·r / (1 − (1+r)^−n)`` (``P/n`` when r = 0), rounded; each row ``interest = balance·r`` (rounded)
and ``principal = payment − interest``; the last row pays the whole remaining balance plus its interest, so
the balance ends at 0.00. Example E: 1,000,000.00 at 4 % for 10 years, annual → 123,290.94 a year, the last
123,291.00, total interest 232,909.46.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from dateutil.relativedelta import relativedelta

from marketplace.numbers import to_cents

__all__ = [
    "PAYMENTS_PER_YEAR", "MiniBond", "Schedule", "ScheduleRow", "amortize", "due_dates", "level_payment",
    "mini_bond",
]

PAYMENTS_PER_YEAR = (1, 2, 4, 12)
ZERO = Decimal("0.00")
# Enough digits that (1 + r)^−n of a 50-year monthly loan is exact to far below a cent of any principal.
PRECISION = 50
YIELD_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class ScheduleRow:
    n: int
    due_on: date | None
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal  # what is left after this payment


@dataclass(frozen=True)
class Schedule:
    principal: Decimal
    payment: Decimal  # the level payment (the last one may differ by a few cents)
    rows: tuple[ScheduleRow, ...]

    @property
    def total_interest(self) -> Decimal:
        return sum((row.interest for row in self.rows), ZERO)

    @property
    def total_paid(self) -> Decimal:
        return sum((row.payment for row in self.rows), ZERO)

    @property
    def last_payment(self) -> Decimal:
        return self.rows[-1].payment if self.rows else ZERO


def _period_rate(annual_rate: Decimal, payments_per_year: int) -> Decimal:
    return Decimal(annual_rate) / 100 / payments_per_year


def level_payment(principal: Decimal, annual_rate: Decimal, years: int, payments_per_year: int) -> Decimal:
    """The level payment of a loan of `principal` at `annual_rate` % over `years`, in cents."""
    _check(principal, annual_rate, years, payments_per_year)
    n = years * payments_per_year
    with localcontext() as ctx:
        ctx.prec = PRECISION
        r = _period_rate(annual_rate, payments_per_year)
        if r == 0:
            return to_cents(Decimal(principal) / n)
        return to_cents(Decimal(principal) * r / (1 - (1 + r) ** -n))


def due_dates(first: date, count: int, payments_per_year: int) -> list[date]:
    """`count` due dates from `first`, every 12 / payments_per_year months. Each is counted from `first`
    (relativedelta clamps a day the month lacks to its last day, and the clamping never accumulates: a
    first payment on 31 January falls due on 28 or 29 February, then on 31 March)."""
    if payments_per_year not in PAYMENTS_PER_YEAR:
        raise ValueError(f"payments per year must be one of {PAYMENTS_PER_YEAR}")
    step = 12 // payments_per_year
    return [first + relativedelta(months=step * k) for k in range(count)]


def amortize(principal: Decimal, annual_rate: Decimal, years: int, payments_per_year: int,
             first_payment_on: date | None = None) -> Schedule:
    """The whole level-payment schedule: one row per payment, the last one paying off the balance."""
    payment = level_payment(principal, annual_rate, years, payments_per_year)
    n = years * payments_per_year
    dates: list[date | None] = (due_dates(first_payment_on, n, payments_per_year) if first_payment_on
                                else [None] * n)
    rows = []
    balance = to_cents(Decimal(principal))
    with localcontext() as ctx:
        ctx.prec = PRECISION
        r = _period_rate(annual_rate, payments_per_year)
        for k in range(1, n + 1):
            interest = to_cents(balance * r)
            # The last payment takes whatever is left, so the balance ends at 0.00; no payment takes more than
            # is left (a tiny loan whose rounded payment would overshoot it).
            part = balance if k == n else min(payment - interest, balance)
            balance -= part
            rows.append(ScheduleRow(k, dates[k - 1], part + interest, interest, part, balance))
    return Schedule(to_cents(Decimal(principal)), payment, tuple(rows))


def _check(principal: Decimal, annual_rate: Decimal, years: int, payments_per_year: int) -> None:
    """The arithmetic's own preconditions (the validation says them to people first)."""
    if Decimal(principal) <= 0:
        raise ValueError("the principal must be more than zero")
    if not 0 <= Decimal(annual_rate) <= 100:
        raise ValueError("the annual rate must be from 0 to 100")
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise ValueError("the term must be a whole number of years, at least 1")
    if payments_per_year not in PAYMENTS_PER_YEAR:
        raise ValueError(f"payments per year must be one of {PAYMENTS_PER_YEAR}")


@dataclass(frozen=True)
class MiniBond:
    yield_pct: Decimal  # a percentage with 4 decimals: 4.6082
    proceeds: Decimal   # issue price · units
    liability: Decimal  # maturity value · units


def mini_bond(issue_price: Decimal, maturity_value: Decimal, years: int, units: int) -> MiniBond:
    """A zero-coupon mini-bond: ``yield = (maturity_value / issue_price)^(1/years) − 1`` as a percentage to 4
    decimals; proceeds and liability per unit times the units offered. Example F: 500 → 750 over 9 years is
    4.6082 %; 24,000 units at 500 raise 12,000,000.00."""
    issue_price, maturity_value = Decimal(issue_price), Decimal(maturity_value)
    if issue_price <= 0:
        raise ValueError("the issue price must be more than zero")
    if maturity_value < issue_price:
        raise ValueError("the maturity value cannot be below the issue price")
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise ValueError("the term must be a whole number of years, at least 1")
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise ValueError("at least one unit must be offered")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        growth = (maturity_value / issue_price) ** (Decimal(1) / years) - 1
        yield_pct = (growth * 100).quantize(YIELD_PLACES, rounding=ROUND_HALF_UP)
    return MiniBond(yield_pct, to_cents(issue_price * units), to_cents(maturity_value * units))
