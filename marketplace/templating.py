"""Template helpers shared by every page: who is acting where, money and date formatting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, g, has_app_context

from marketplace.formats import day, moment, money, percent, period_span
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
    """A timestamp for people in the consortium's time zone, the zone named ('30 Nov 2026, 11:54 PM MST'):
    `formats.moment` with the zone named here, else the current consortium's. A date is written as `day`.
    E-mails and PDFs name the zone of the consortium their object belongs to."""
    if value is None or isinstance(value, date):  # datetime is a date too
        return moment(value, local_zone(zone_name))
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
