"""How text is accepted: the one rule every text field applies (pure Python: no Flask, no database, so the
pure arithmetic of `contracts.performance` uses it too).

Text is NFC-normalised; control characters (other than tab and line breaks) and lone surrogates are refused
with a message, never silently dropped (a lone surrogate cannot even be encoded, so a page that shows it
would fail); a message never echoes more than a short excerpt of what was typed.
"""

from __future__ import annotations

import re
import unicodedata

EXCERPT = 24

# Control characters except tab, newline and carriage return; PostgreSQL refuses NUL outright.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None: control characters and lone surrogates."""
    if SURROGATE.search(value):
        return "Remove the invalid character (a lone surrogate) from this text."
    if CONTROL_CHARS.search(value):
        return "Remove the control character from this text."
    return None


def nfc(value: str) -> str:
    """`value` NFC-normalised and stripped of surrounding white space."""
    return unicodedata.normalize("NFC", value).strip()


def excerpt(raw, limit: int = EXCERPT) -> str:
    """A short, printable excerpt of a value for an error message."""
    text = raw if isinstance(raw, str) else repr(raw)
    text = SURROGATE.sub("?", CONTROL_CHARS.sub("?", text))
    return text if len(text) <= limit else text[: limit - 1] + "…"
