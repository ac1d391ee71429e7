"""The daily job: `flask --app marketplace reminders run [--today YYYY-MM-DD]`.

Each domain registers its reminders here (`@reminder("vehicle_ending")` in its `notifications.py`); a
reminder is `fn(today) -> int`: it writes its notifications for `today` (None: today in each consortium's
time zone) and says how many it wrote. Reminders are idempotent through `notify(..., once_key=…)`: running
the job twice on a day, or on two days for the same occasion, tells nobody twice. Each reminder commits on
its own, so one that fails does not hold back the others (the job then exits with status 1).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import click
from flask.cli import AppGroup

from marketplace.extensions import db

log = logging.getLogger(__name__)

Reminder = Callable[[date | None], int]

_REMINDERS: dict[str, Reminder] = {}
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def reminder(name: str) -> Callable[[Reminder], Reminder]:
    """Register `fn(today) -> int` as the daily reminder `name` (registering a name again replaces it)."""

    def register(fn: Reminder) -> Reminder:
        _REMINDERS[name] = fn
        return fn

    return register


def registered() -> tuple[str, ...]:
    return tuple(_REMINDERS)


@dataclass
class RemindersReport:
    today: date | None
    written: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.written.values())

    def __str__(self) -> str:
        when = self.today.isoformat() if self.today else "today"
        parts = ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in self.written.items())
        failed = f"; {len(self.errors)} failed" if self.errors else ""
        return f"Reminders for {when}: {self.total} notification{'s' if self.total != 1 else ''} ({parts}){failed}."


def run_reminders(today: date | None = None) -> RemindersReport:
    """Run every registered reminder once for `today`, committing after each."""
    report = RemindersReport(today)
    for name, fn in _REMINDERS.items():
        try:
            report.written[name] = fn(today)
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - one broken reminder must not stop the others
            db.session.rollback()
            log.exception("reminder %s failed", name)
            report.errors.append(f"{name}: {type(exc).__name__}: {exc}")
    return report


class IsoDate(click.ParamType):
    """A calendar date written as YYYY-MM-DD, with a message that says so."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        text = str(value).strip()
        if ISO_DATE.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        self.fail(f"{text[:40]!r} is not a date: write it as YYYY-MM-DD, such as 2026-12-02.", param, ctx)


reminders_cli = AppGroup("reminders", help="The daily reminders.")


@reminders_cli.command("run")
@click.option("--today", type=IsoDate(), default=None,
              help="Act as if it were this day (default: today in each consortium's time zone).")
def run(today: date | None) -> None:
    """Send the daily reminders (idempotent: a second run on the same day tells nobody twice)."""
    report = run_reminders(today)
    click.echo(str(report))
    for line in report.errors:
        click.echo(f"  {line}", err=True)
    if report.errors:
        raise SystemExit(1)
