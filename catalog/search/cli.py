"""`flask --app marketplace catalog ...`: rebuild the search index from the database (the Whoosh
folder, or the PostgreSQL engine's rows, committed at the end)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from tqdm import tqdm

from catalog.search import services
from marketplace.extensions import db

catalog_cli = AppGroup("catalog", help="Catalog maintenance.")


@catalog_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index of every consortium's published listings."""
    total = services.count_published(db.session)
    if sys.stderr.isatty():
        # The engine reports listings indexed since its last call, which is what tqdm.update takes.
        with tqdm(total=total, unit="listing", desc="Indexing") as bar:
            done = services.reindex(progress=bar.update)
    else:  # a log or a pipe: a bar drawn with carriage returns would be one unreadable line
        indexed = 0

        def report(count: int) -> None:
            nonlocal indexed
            indexed += count
            click.echo(f"Indexing: {indexed} of {total} listings", err=True)

        done = services.reindex(progress=report)
    db.session.commit()  # the PostgreSQL engine rebuilds its rows in this transaction
    click.echo(f"Indexed {done} published listings.")
