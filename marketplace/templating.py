"""Template helpers shared by every page: who is acting where, money and date formatting."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask


def money(value) -> str:
    """1234.5 → '$1,234.50' (Decimal in, never float)."""
    if value is None:
        return "—"
    amount = Decimal(value)
    sign = "−" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def number(value) -> str:
    if value is None:
        return "—"
    amount = Decimal(value).normalize()
    text = format(amount, ",f")
    return text


def when(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["when"] = when
    # No `Markup` global: a template could otherwise mark a user's text as safe HTML. Markup that a
    # page needs is built in Python, where it is reviewed with the code that escapes its parts.
