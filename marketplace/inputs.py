"""Parsing of user input shared by the domains' services: each helper records a clear message under
the field's path in `fields` (so every problem is reported at once) and returns None on error."""

from __future__ import annotations

import re
from datetime import date

from marketplace.errors import ValidationFailed

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(raw, path: str, fields: dict, *, required: bool = True) -> date | None:
    """An ISO date (YYYY-MM-DD)."""
    if raw is None or raw == "":
        if required:
            fields[path] = "Enter a date."
        return None
    text = raw.strip() if isinstance(raw, str) else None
    if text is None or not _DATE.fullmatch(text):
        fields[path] = "Enter a date as YYYY-MM-DD, such as 2026-03-31."
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fields[path] = "That date does not exist."
        return None


# Control characters (except tab, newline, carriage return): never stored; PostgreSQL refuses NUL.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(raw, path: str, fields: dict, *, limit: int, required: bool = False) -> str:
    """Text without control characters, stripped, at most `limit` characters."""
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        fields[path] = "Must be text."
        return ""
    value = CONTROL_CHARS.sub("", raw).strip()
    if required and not value:
        fields[path] = "This field is required."
    elif len(value) > limit:
        fields[path] = f"Use at most {limit} characters (you used {len(value)})."
    return value


REASON_LIMIT = 2000


def decision_reason(raw, *, required: bool, message: str = "Give a reason.") -> str | None:
    """The reason recorded with a decision (approve, decline, suspend, …): cleaned text of at most
    REASON_LIMIT characters; raises ValidationFailed (`message` when a required reason is missing)."""
    fields: dict[str, str] = {}
    reason = clean_text(raw, "reason", fields, limit=REASON_LIMIT)
    if fields:
        raise ValidationFailed("The reason is too long." if "at most" in fields["reason"] else message, fields)
    if required and not reason:
        raise ValidationFailed(message, {"reason": "A reason is required."})
    return reason or None
