"""Parsing of user input shared by the domains' services: each helper records a clear message under
the field's path in `fields` (so every problem is reported at once) and returns None on error."""

from __future__ import annotations

import re
from datetime import date

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
