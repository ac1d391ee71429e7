"""Reading the fields of one JSON object of performance terms, with a message per dotted path.

What a number field holds (:class:`Kind`: decimal places and range), how a number and a text are read (the
application's rules in `marketplace.numbers` and `marketplace.text`), and :class:`Fields`, which records
every problem in an :class:`Errors` so the caller can report them all at once. Pure Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Any

from contracts.performance.amounts import EXACT, normalize, plain
from contracts.performance.terms import KPI_CODE_MAX, NUMBER_TEXT_MAX
from marketplace.numbers import CENT, MAX_MONEY, number_text
from marketplace.text import excerpt, nfc, text_problem

_CODE = re.compile(rf"[a-z][a-z0-9_]{{0,{KPI_CODE_MAX - 1}}}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# A term starts within these days, so that even the longest term's period dates stay computable.
DATE_LOW, DATE_HIGH = date(1900, 1, 1), date(2199, 12, 31)


@dataclass(frozen=True)
class Kind:
    """What a number field holds: its decimal places and allowed range, for messages too."""

    noun: str
    places: int
    low: Decimal | None
    high: Decimal | None
    low_open: bool = False
    money: bool = False


MONEY = Kind("an amount", 2, Decimal(0), MAX_MONEY, money=True)
PERCENT = Kind("a percentage", 6, Decimal(0), Decimal(100))
SHARE = Kind("a percentage", 6, Decimal(0), Decimal(100), low_open=True)  # a share of something: never 0
WEIGHT = Kind("a weight", 10, Decimal(0), Decimal(1), low_open=True)
MEASURE = Kind("a measurement", 10, Decimal("-1e15"), Decimal("1e15"))
USE = Kind("a measurement", 10, Decimal(0), Decimal("1e15"))
PRICE = Kind("a unit price", 6, Decimal(0), Decimal("1e9"), low_open=True)

REQUIRED = object()


def to_decimal(raw: Any) -> Decimal:
    """A plain finite number from a string, int, Decimal or float; ValueError otherwise.

    How a number may be written is the application's one rule (`marketplace.numbers`: ASCII digits, an
    optional minus sign and decimal point; "１", "1e5" and "NaN" are refused); only the length is ours.
    """
    if isinstance(raw, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(raw, Decimal) and not raw.is_finite():
        raise ValueError("must be a finite number")
    if not isinstance(raw, str | int | float | Decimal):
        raise ValueError("must be a number")
    long = isinstance(raw, str) and len(raw.strip()) > NUMBER_TEXT_MAX
    text = None if long else number_text(raw, allow_float=True, int_digits=NUMBER_TEXT_MAX, places=NUMBER_TEXT_MAX)
    if text is None:
        raise ValueError('must be a number written with digits, e.g. "97.5"')
    return Decimal(text)


def check_number(raw: Any, kind: Kind) -> Decimal:
    """``raw`` as a number of ``kind``, normalized; ValueError with a message otherwise."""
    with localcontext(EXACT):
        value = to_decimal(raw)
        exponent = value.normalize().as_tuple().exponent
        assert isinstance(exponent, int)  # finite numbers only, checked above
        if -exponent > kind.places:
            raise ValueError(f"must have at most {kind.places} decimal places")
        too_low = kind.low is not None and (value <= kind.low if kind.low_open else value < kind.low)
        too_high = kind.high is not None and value > kind.high
        if too_low or too_high:
            raise ValueError(_range_message(kind))
        return value.quantize(CENT) if kind.money else normalize(value)


def _range_message(kind: Kind) -> str:
    low, high = plain(kind.low or Decimal(0)), plain(kind.high or Decimal(0))
    if kind.low is None:
        return f"must be {kind.noun} of at most {high}"
    if kind.high is None:
        return f"must be {kind.noun} of at least {low}"
    if kind.low_open:
        return f"must be {kind.noun} above {low} and at most {high}"
    return f"must be {kind.noun} from {low} to {high}"


class Errors:
    """Collects every problem so the caller can show them all at once."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, message)


class Fields:
    """Reads the fields of one JSON object, recording errors under dotted paths."""

    def __init__(self, data: Mapping[str, Any], path: str, errors: Errors, known: frozenset):
        self.data = data
        self.path = path
        self.errors = errors
        for key in data:
            if key not in known:
                errors.add(self.at(excerpt(str(key))), "is not a known field")

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def error(self, key: str, message: str) -> None:
        self.errors.add(self.at(key), message)

    def _get(self, key: str, default: Any) -> tuple[bool, Any]:
        """(present, value); records "is required" when absent and required."""
        value = self.data.get(key)
        if value is None:
            if default is REQUIRED:
                self.error(key, "is required")
            return False, default if default is not REQUIRED else None
        return True, value

    def number(self, key: str, kind: Kind, default: Any = REQUIRED) -> Decimal | None:
        present, raw = self._get(key, default)
        if not present:
            return raw
        try:
            return check_number(raw, kind)
        except ValueError as err:
            self.error(key, str(err))
            return None

    def integer(self, key: str, low: int, high: int, default: Any = REQUIRED) -> int | None:
        present, raw = self._get(key, default)
        if not present:
            return raw
        try:
            value = to_decimal(raw)
        except ValueError:
            value = None
        if value is None or value != value.to_integral_value() or not low <= value <= high:
            self.error(key, f"must be a whole number from {low} to {high}")
            return None
        return int(value)

    def text(self, key: str, max_length: int, *, allow_empty: bool = False) -> str | None:
        present, raw = self._get(key, REQUIRED)
        if not present:
            return None
        if not isinstance(raw, str):
            self.error(key, "must be text")
            return None
        problem = text_problem(raw)
        if problem:
            self.error(key, problem)
            return None
        text = nfc(raw)
        if not text and not allow_empty:
            self.error(key, "must not be empty")
            return None
        if len(text) > max_length:
            self.error(key, f"must be at most {max_length} characters")
            return None
        return text

    def date(self, key: str) -> date | None:
        """A required ISO date ("2026-01-01"); a ``date`` is taken as it is."""
        present, raw = self._get(key, REQUIRED)
        if not present:
            return None
        if isinstance(raw, date):
            return raw
        if not isinstance(raw, str) or not _DATE.fullmatch(raw):
            self.error(key, 'must be a date written as YYYY-MM-DD, e.g. "2026-01-01"')
            return None
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            self.error(key, "is not a date that exists")
            return None
        if not DATE_LOW <= value <= DATE_HIGH:
            self.error(key, f"must be from {DATE_LOW.isoformat()} to {DATE_HIGH.isoformat()}")
            return None
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str | None:
        present, raw = self._get(key, REQUIRED)
        if not present:
            return None
        problem = text_problem(raw) if isinstance(raw, str) else None
        if problem:
            self.error(key, problem)
            return None
        if raw not in choices:
            self.error(key, "must be one of " + ", ".join(choices))
            return None
        return raw

    def code(self, key: str) -> str | None:
        present, raw = self._get(key, REQUIRED)
        if not present:
            return None
        problem = text_problem(raw) if isinstance(raw, str) else None
        if problem:
            self.error(key, problem)
            return None
        if not isinstance(raw, str) or not _CODE.fullmatch(raw):
            self.error(
                key,
                "must be a code of lowercase letters, digits and underscores, "
                f"starting with a letter, at most {KPI_CODE_MAX} characters",
            )
            return None
        return raw

    def items(self, key: str, max_items: int, *, required: bool) -> list[Any] | None:
        """The list under ``key``; None when absent (and allowed) or invalid."""
        present, raw = self._get(key, REQUIRED if required else None)
        if not present:
            return None
        if not isinstance(raw, list | tuple):
            self.error(key, "must be a list")
            return None
        if len(raw) > max_items:
            self.error(key, f"must have at most {max_items} entries")
            return None
        return list(raw)


def as_object(raw: Any, path: str, errors: Errors) -> Mapping[str, Any] | None:
    if not isinstance(raw, Mapping):
        errors.add(path, "must be an object")
        return None
    return raw
