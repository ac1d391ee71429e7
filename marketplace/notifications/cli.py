"""`flask --app marketplace notifications deliver [--loop]`: e-mail the outbox."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from marketplace.notifications.delivery import deliver_pending

notifications_cli = AppGroup("notifications", help="E-mail pending notifications.")


@notifications_cli.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering: look for new messages every --interval seconds.")
@click.option("--interval", type=click.IntRange(1, 3600), default=10, show_default=True,
              help="Seconds between rounds with --loop.")
def deliver(loop: bool, interval: int) -> None:
    """Send every pending e-mail once (several deliverers may run at once; none sends a message twice)."""
    while True:
        report = deliver_pending()
        if report.sent or report.skipped or report.retried or report.failed or not loop:
            click.echo(str(report))
        for line in report.errors:
            click.echo(f"  {line}", err=True)
        if not loop:
            return
        time.sleep(interval)
