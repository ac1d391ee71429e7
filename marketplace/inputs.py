"""The one parser for user input: money, decimals, whole numbers, ids, dates, periods and text.

Every domain's validation uses these helpers, for forms, the API and the CLI alike. Each records a clear
message under the field's path in `fields` (so every problem is reported at once) and returns None (or
"" for text) on error, changing nothing. The rules:

- numbers are written with ASCII digits only: "１" or "²" are refused, never converted; JSON floats are
  refused for money (a float is not an exact amount);
- money has at most two decimals, is never negative unless asked, and fits the money columns;
- text is NFC-normalised; control characters (other than tab and line breaks) and lone surrogates are
  refused with a message, not silently dropped;
- a message never echoes more than a short excerpt of what was typed.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from marketplace.db import MAX_ID
from marketplace.errors import ValidationFailed
from marketplace.numbers import CENT, MAX_MONEY, to_cents  # noqa: F401 (re-exported)
from marketplace.numbers import number_text as _number_text
from marketplace.text import CONTROL_CHARS, EXCERPT, excerpt, nfc, text_problem  # noqa: F401 (re-exported)

REASON_LIMIT = 2000

# The rules for how text and numbers are written live in the pure modules `marketplace.text` and
# `marketplace.numbers` (shared with the pure arithmetic of `contracts.performance`).
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
# How a date is shown in a US-English browser's date field (mm/dd/yyyy): hints and messages use it.
DATE_EXAMPLE = "04/01/2027"
DATE_HINT = f"For example: {DATE_EXAMPLE}."  # the hint under every date field (`<input type=date>`)
_DIGITS = re.compile(r"\d{1,12}", re.ASCII)


# --- text ----------------------------------------------------------------------------------------


def clean_text(raw, path: str, fields: dict, *, limit: int, required: bool = False) -> str:
    """Text, NFC-normalised and stripped, at most `limit` characters; control characters and lone
    surrogates are refused with a message."""
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        fields[path] = "Must be text."
        return ""
    problem = text_problem(raw)
    if problem:
        fields[path] = problem
        return ""
    value = nfc(raw)
    if required and not value:
        fields[path] = "This field is required."
    elif len(value) > limit:
        fields[path] = f"Use at most {limit} characters (you used {len(value)})."
    return value


def clean_words(raw, path: str, fields: dict, *, max_items: int, item_limit: int) -> list[str]:
    """A list of short texts (tags, standards) from a list or a comma-separated string; duplicates
    (case-insensitive) and blanks dropped."""
    if raw is None or raw == "":
        return []
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list):
        fields[path] = "Must be a list of words or a comma-separated text."
        return []
    values: list[str] = []
    for i, item in enumerate(items):
        word = clean_text(item, f"{path}.{i}", fields, limit=item_limit)
        if word and word.casefold() not in {v.casefold() for v in values}:
            values.append(word)
    if len(values) > max_items:
        fields[path] = f"Use at most {max_items} entries."
    return values


def decision_reason(raw, *, required: bool, message: str = "Give a reason.") -> str | None:
    """The reason recorded with a decision (approve, decline, suspend, …): cleaned text of at most
    REASON_LIMIT characters; raises ValidationFailed (`message` when a required reason is missing)."""
    fields: dict[str, str] = {}
    reason = clean_text(raw, "reason", fields, limit=REASON_LIMIT)
    if fields:
        summary = "The reason is too long." if "at most" in fields["reason"] else fields["reason"]
        raise ValidationFailed(summary, fields)
    if required and not reason:
        raise ValidationFailed(message, {"reason": "A reason is required."})
    return reason or None


# --- numbers -------------------------------------------------------------------------------------


def parse_decimal(raw, path: str, fields: dict, *, what: str = "number", places: int = 10,
                  low: Decimal | int | None = None, high: Decimal | int | None = None, low_open: bool = False,
                  required: bool = True, default: Decimal | None = None, example: str = "12.5",
                  allow_float: bool = False, grouping: bool = True, currency: bool = False,
                  percent: bool = False) -> Decimal | None:
    """A decimal number written with ASCII digits (a string or an int; thousands separators allowed),
    at most `places` decimals, within [low, high] (low excluded when `low_open`)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            fields[path] = f"Enter the {what}."
        return default
    text = _number_text(raw, allow_float=allow_float, grouping=grouping, currency=currency, percent=percent)
    if text is None:
        fields[path] = f"Enter the {what} as a number written with digits, such as {example}."
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only valid numbers
        fields[path] = f"Enter the {what} as a number, such as {example}."
        return None
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        fields[path] = (f"Use at most {places} decimals for the {what}"
                        + (" (fractions of a cent are not allowed)." if places == 2 and currency else "."))
        return None
    if low is not None and (value <= low if low_open else value < low):
        if low == 0:
            fields[path] = f"The {what} must be more than zero." if low_open else f"The {what} cannot be negative."
        else:
            fields[path] = f"The {what} must be {'more than' if low_open else 'at least'} {low}."
        return None
    if high is not None and value > high:
        fields[path] = f"The {what} cannot be more than {high:,}." if high < MAX_MONEY else f"The {what} is too large."
        return None
    return value


def parse_money(raw, path: str, fields: dict, *, what: str = "amount", required: bool = True,
                positive: bool = True, allow_negative: bool = False, high: Decimal = MAX_MONEY,
                default: Decimal | None = None) -> Decimal | None:
    """An amount of money: at most two decimals (never a float), more than zero when `positive`
    (else zero or more), at most `high`; a leading $ and thousands separators are accepted."""
    low = None if allow_negative else Decimal(0)
    value = parse_decimal(raw, path, fields, what=what, places=2, low=low, low_open=positive and not allow_negative,
                          high=high, required=required, default=default, example="1250.00", currency=True)
    return None if value is None else value.quantize(CENT)


def parse_percent(raw, path: str, fields: dict, *, what: str = "percentage", places: int = 4,
                  required: bool = True, default: Decimal | None = None, high: Decimal | int = 100) -> Decimal | None:
    """A percentage from 0 to `high` (100) with at most `places` decimals; a trailing % is accepted."""
    return parse_decimal(raw, path, fields, what=what, places=places, low=0, high=high, required=required,
                         default=default, example="1.5", percent=True)



def whole_number(raw, *, low: int = 0, high: int) -> int | None:
    """An int given as JSON or as ASCII digits (surrounding spaces allowed) from `low` to `high`; None
    for anything else. `str.isdigit()` alone is not enough: it accepts "²", which `int()` refuses, and
    an unbounded number overflows the database's integers."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if not _DIGITS.fullmatch(text):
            return None
        raw = int(text)
    if not isinstance(raw, int):
        return None
    return raw if low <= raw <= high else None


def parse_int(raw, path: str, fields: dict, *, what: str, low: int = 0, high: int, required: bool = True,
              default: int | None = None) -> int | None:
    """A whole number from `low` to `high`, as an int (JSON) or ASCII digits (a form or a query)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            fields[path] = f"Enter the {what}."
        return default
    value = whole_number(raw, low=low, high=high)
    if value is None:
        fields[path] = f"Enter the {what} as a whole number from {low} to {high:,}."
    return value


def parse_id(raw) -> int | None:
    """A row id (1 to MAX_ID) from JSON or text, or None."""
    return whole_number(raw, low=1, high=MAX_ID)


def parse_period(raw, path: str = "period", fields: dict | None = None, *, high: int | None = None) -> int | None:
    """A period number (1, 2, …, at most `high`), e.g. from `?period=`; Unicode digits are refused."""
    fields = {} if fields is None else fields
    return parse_int(raw, path, fields, what="period", low=1, high=high or 10_000)


# --- dates ---------------------------------------------------------------------------------------


def parse_date(raw, path: str, fields: dict, *, required: bool = True) -> date | None:
    """A calendar date written with ASCII digits, in one of the two forms a person's browser sends: YYYY-MM-DD
    (what a date field posts, and what the JSON API documents) or MM/DD/YYYY (what a US reader types when
    the browser shows a plain text box: 04/01/2027 is 1 April). Nothing else is guessed at."""
    text = raw.strip() if isinstance(raw, str) else raw
    if text is None or text == "":
        if required:
            fields[path] = "Enter a date."
        return None
    iso = _DATE.fullmatch(text) if isinstance(text, str) else None
    us = _US_DATE.fullmatch(text) if isinstance(text, str) and iso is None else None
    if iso is None and us is None:
        fields[path] = f"Enter a date like {DATE_EXAMPLE}."
        return None
    try:
        if iso is not None:
            return date.fromisoformat(text)
        month, day_of_month, year = (int(part) for part in us.groups())
        return date(year, month, day_of_month)
    except ValueError:
        # A date field never posts an impossible date: YYYY-MM-DD ones come from API clients, who write ISO.
        fields[path] = "That date does not exist." + ("" if iso is not None else f" Enter a date like {DATE_EXAMPLE}.")
        return None


def parse_choice(raw, path: str, fields: dict, choices, *, what: str = "value", required: bool = True):
    """One of `choices` (a collection of strings)."""
    if raw is None or raw == "":
        if required:
            fields[path] = f"Choose a {what}."
        return None
    if not isinstance(raw, str) or raw not in choices:
        fields[path] = f"Choose one of: {', '.join(sorted(choices))}."
        return None
    return raw


def raise_if(fields: dict, message: str) -> None:
    """Raise ValidationFailed with `message` and the per-field messages when any were recorded."""
    if fields:
        raise ValidationFailed(message, fields)
