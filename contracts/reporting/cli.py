"""`flask --app marketplace reports open --quarter 2026Q3`: create the missing sales reports of a quarter in every
consortium (idempotent: a second run creates nothing)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from consortium.models import Consortium
from contracts.reporting import services
from marketplace.errors import ValidationFailed
from marketplace.extensions import db

reports_cli = AppGroup("reports", help="Quarterly sales reports and admin fees.")


@reports_cli.command("open")
@click.option("--quarter", required=True, help="The calendar quarter, such as 2026Q3.")
def open_quarter(quarter: str) -> None:
    """Open the sales reports of QUARTER for every vehicle in force during it and every awarded vendor."""
    total = 0
    try:
        for consortium in db.session.scalars(select(Consortium).order_by(Consortium.id)).all():
            created = services.open_reports(consortium, quarter)
            total += len(created)
            click.echo(f"{consortium.name}: {len(created)} report{'s' if len(created) != 1 else ''} opened.")
    except ValidationFailed as err:
        db.session.rollback()
        raise click.BadParameter(err.message, param_hint="--quarter") from err
    db.session.commit()
    click.echo(f"{total} sales report{'s' if total != 1 else ''} opened for {quarter.strip().upper()}.")
