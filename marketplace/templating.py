"""Template helpers shared by every page: who is acting where, money and date formatting."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, g, has_app_context

from marketplace.formats import day, money, percent, period_span
from marketplace.glossary import gloss


def number(value) -> str:
    if value is None:
        return "—"
    amount = Decimal(value).normalize()
    text = format(amount, ",f")
    return text


def local_zone(zone_name: str | None = None) -> ZoneInfo:
    """The time zone to show times in: the one named, else the current consortium's (DESIGN: every time
    on a page, PDF or e-mail is shown in it), else UTC."""
    if zone_name is None and has_app_context():
        zone_name = getattr(g.get("consortium"), "time_zone", None)
    try:
        return ZoneInfo(zone_name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def when(value, zone_name: str | None = None) -> str:
    """A timestamp in the consortium's time zone with its abbreviation ("2026-11-30 23:54 MST"); a
    date as ISO."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        local = value.astimezone(local_zone(zone_name))
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.globals["period_span"] = period_span
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["when"] = when
    app.jinja_env.globals["gloss"] = gloss  # {{ gloss("holdback-window") }}: a word linked to its definition
    # No `Markup` global: a template could otherwise mark a user's text as safe HTML. Markup that a
    # page needs is built in Python, where it is reviewed with the code that escapes its parts.
