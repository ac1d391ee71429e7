"""How a number is written: the one rule every number parser applies (pure Python: no Flask, no database,
so the pure arithmetic of `contracts.performance` uses it too).

A number is written with ASCII digits only ("１" or "²" are refused, never converted): an optional minus
sign, at least one digit, and optionally a point followed by at least one digit. No exponent ("1e5"), no
"NaN" or "Infinity". `marketplace.inputs` builds its field messages on top of this; the performance terms
use it with their own ranges and decimal places.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

# The most any money column holds (integer cents in a BIGINT leave room; no ceiling comes near it).
MAX_MONEY = Decimal("999999999999.99")

# Digits before and after the point that the application's inputs accept (money columns hold 15 digits).
INT_DIGITS = 15
PLACES = 12

_NUMBER = re.compile(r"-?(\d+)(?:\.(\d+))?", re.ASCII)
_GROUPED = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?", re.ASCII)


def is_number_text(text: str, *, int_digits: int = INT_DIGITS, places: int = PLACES) -> bool:
    """Whether `text` is a plain number written with ASCII digits, with at most `int_digits` digits before
    the point and `places` after it."""
    match = _NUMBER.fullmatch(text)
    return bool(match) and len(match[1]) <= int_digits and len(match[2] or "") <= places


def number_text(raw, *, allow_float: bool = False, grouping: bool = False, currency: bool = False,
                percent: bool = False, int_digits: int = INT_DIGITS, places: int = PLACES) -> str | None:
    """The plain ASCII text of a number given as a string, an int, a finite Decimal (or a finite float, when
    allowed), or None. `grouping` accepts thousands separators ("1,250.00"), `currency` a leading "$",
    `percent` a trailing "%"."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float) and allow_float:
        # repr is the shortest text that reads back as this float ("0.1"); "nan", "inf" and "1e-05" fail below.
        raw = repr(raw)
    elif isinstance(raw, Decimal):
        return format(raw, "f") if raw.is_finite() else None
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if currency:
        text = text.replace("$", "", 1) if text.startswith(("$", "-$")) else text
    if percent:
        text = text.removesuffix("%").strip()
    if grouping and _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    return text if is_number_text(text, int_digits=int_digits, places=places) else None


def to_cents(value: Decimal) -> Decimal:
    """Round a money amount to cents, half up (DESIGN section 5): the one money-rounding rule, used by
    the inputs, the services and the pure settlement arithmetic alike."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
