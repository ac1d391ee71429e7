"""`flask --app marketplace catalog ...`: rebuild the search index from the database."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from tqdm import tqdm

from catalog.search import services as indexing
from marketplace.extensions import db

catalog_cli = AppGroup("catalog", help="Catalog maintenance.")


@catalog_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index of every consortium's published listings."""
    total = indexing.count_published(db.session)
    with tqdm(total=total, unit="listing", desc="Indexing", disable=None) as bar:
        done = indexing.reindex(progress=lambda n: bar.update(n - bar.n))
        bar.update(done - bar.n)
    click.echo(f"Indexed {done} published listings.")
