"""Money and number helpers shared by the terms, their validation and the settlement.

Money is ``Decimal`` rounded to cents with ROUND_HALF_UP (DESIGN section 5). Inputs are bounded (see
:mod:`contracts.performance.validation`) so that sums and products of them stay exact at the precision of
``EXACT``; only the divisions behind factors are inexact, and those are done with fractions.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from fractions import Fraction

from marketplace.numbers import to_cents

ZERO_MONEY = Decimal("0.00")

EXACT = Context(prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])
# Precision for showing a factor or an average that has no finite decimal expansion.
DISPLAY = Context(prec=28, rounding=ROUND_HALF_UP)

F0 = Fraction(0)
F1 = Fraction(1)


# Rounding to cents, half up, is the kernel's one money-rounding rule.
cents = to_cents


def normalize(value: Decimal) -> Decimal:
    """``value`` without trailing zeros (0 stays a plain 0)."""
    return Decimal(0) if value == 0 else value.normalize(EXACT)


def plain(value: Decimal) -> str:
    """A normalized decimal string without exponent: "0.55", "1", "100", "0"."""
    return "0" if value == 0 else format(normalize(value), "f")


def money(value: Decimal) -> str:
    """Money as JSON carries it: a string with two decimals ("97000.00")."""
    return format(cents(value), "f")


def percent_of(pct: Decimal, amount: Decimal) -> Decimal:
    """``pct`` percent of ``amount``, in cents."""
    # scaleb divides by 100 exactly, whatever the context precision.
    return cents((pct * amount).scaleb(-2))


def round_fraction(value: Fraction) -> Decimal:
    """An exact fraction rounded to cents, ties away from zero (as ROUND_HALF_UP)."""
    scaled = value * 100
    quotient, remainder = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * remainder >= scaled.denominator:
        quotient += 1
    return Decimal(quotient if scaled >= 0 else -quotient).scaleb(-2)


def factor(value: Fraction) -> Decimal:
    """A factor shown as a Decimal: exact when it terminates, else 28 significant digits."""
    if value is F0 or value is F1:
        return Decimal(0) if value is F0 else Decimal(1)
    if value.denominator == 1:
        return Decimal(value.numerator)
    quotient = DISPLAY.divide(Decimal(value.numerator), Decimal(value.denominator))
    return normalize(quotient)
