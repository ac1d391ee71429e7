"""The PostgreSQL engine inside the application: its rows change in the same transaction as the
listings, price items and pilots they follow, roll back with it, and are rebuilt by `catalog reindex`
and carried forward by the migration. PostgreSQL only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, text

from catalog import search
from catalog.listings import services as listings
from catalog.listings.models import Listing, PriceItem
from catalog.pilots.models import Pilot
from catalog.search import PostgresEngine, services
from marketplace.extensions import db
from tests.catalog.factories import make_listing
from tests.catalog.search.conftest import NEEDS_POSTGRES, ON_POSTGRES
from tests.conftest import consortium, user

pytestmark = [pytest.mark.postgres_only, pytest.mark.skipif(not ON_POSTGRES, reason=NEEDS_POSTGRES)]
SEARCH_DOCUMENTS = "7c3e9a2d41f6"


def gpsr() -> int:
    return consortium("gpsr").id


def found(q: str, **filters) -> list[int]:
    return search.search(gpsr(), q, per_page=100, **filters).ids


def test_postgresql_is_the_default_engine(app, ctx):
    assert app.config["SEARCH_ENGINE"] == "postgres"
    assert isinstance(search.get_engine(), PostgresEngine)
    assert search.get_engine().health()


def test_a_listing_is_found_in_the_transaction_that_publishes_it_and_gone_with_its_rollback(app, ctx):
    admin, vendor = db.session.merge(user("admin@gpsr.example")), db.session.merge(user("vendor@parksense.example"))
    listing = make_listing("submitted", title="Quokka bollard counter")
    assert found("quokka") == []

    listings.approve_listing(listing, actor=admin)  # flushed, not committed: the search writes it first
    assert found("quokka") == [listing.id]
    db.session.rollback()
    assert found("quokka") == []

    listings.approve_listing(db.session.get(Listing, listing.id), actor=admin)
    db.session.commit()
    assert found("quokka") == [listing.id]
    listings.withdraw_listing(db.session.get(Listing, listing.id), actor=vendor)
    db.session.commit()
    assert found("quokka") == []
    assert db.session.scalar(text("SELECT count(*) FROM search_document WHERE listing_id = :id"),
                             {"id": listing.id}) == 0


def test_price_items_and_pilots_change_the_document(app, ctx):
    listing = make_listing("published", title="Quokka kerb sensor", price_items=[
        {"name": "Quokka unit", "unit": "each", "list_price": "80.00"}])
    other = make_listing("published", title="Quokka gate sensor", price_items=[
        {"name": "Gate unit", "unit": "each", "list_price": "50.00"}])
    assert found("quokka", sort="price") == [other.id, listing.id]

    item = db.session.scalar(select(PriceItem).where(PriceItem.listing_id == listing.id))
    item.list_price = Decimal("20.00")
    item.name = "Wombat unit"
    db.session.commit()  # a price item's flush refreshes its listing's document
    assert found("quokka", sort="price") == [listing.id, other.id]
    assert found("wombat") == [listing.id]

    proving = db.session.scalars(select(Pilot).where(Pilot.consortium_id == gpsr(), Pilot.status == "verified",
                                                     Pilot.derived_outcome == "met")).all()
    proven_id = proving[0].listing_id
    assert proven_id in found("", proven=True)
    for pilot in proving:
        if pilot.listing_id == proven_id:
            pilot.derived_outcome = "not_met"
    db.session.commit()  # so does a pilot's
    assert proven_id not in found("", proven=True)
    assert proven_id in found("", proven=False)


def test_reindex_rebuilds_every_document_while_others_keep_reading_the_old_ones(app, ctx, monkeypatch):
    make_listing("published", title="Quokka bollard sensor")
    db.session.execute(text("UPDATE search_document SET tsv = to_tsvector('catalog_search', 'damaged')"))
    monkeypatch.setattr(services, "BATCH", 4)
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    committed = []

    def progress(count: int) -> None:
        with other.connect() as connection:  # another transaction: the committed rows, all of them
            committed.append(connection.scalar(text("SELECT count(*) FROM search_document")))

    try:
        total = search.reindex(progress)
    finally:
        other.dispose()
    assert total == db.session.scalar(select(func.count(Listing.id)).where(Listing.status == "published"))
    assert len(committed) == -(-total // 4) and len(set(committed)) == 1
    assert len(found("quokka")) == 1 and found("damaged") == []


def test_the_migration_carries_published_listings_forward(app):
    """The search migration's carry-forward SQL, run on emptied search tables, makes the same rows the
    application writes. (The SQL is run directly: going down the whole chain and up again would also undo
    later revisions that cannot carry demo data back, such as vehicle awards.)"""
    migration = _search_migration()
    documents = text("SELECT d.listing_id, d.consortium_id, d.sort_title, CAST(d.tsv AS text), s.consortium_id, "
                     "s.words, d.category, d.pricing_models, d.vendor_id, d.vendor_name, d.is_proven, "
                     "d.min_price_cents, d.published_at "
                     "FROM search_document d LEFT JOIN search_spelling s USING (listing_id) ORDER BY d.listing_id")
    with app.app_context():
        written = db.session.execute(documents).all()
        words = db.session.execute(text("SELECT * FROM search_word ORDER BY 1, 2")).all()
        spelling_rows = db.session.scalar(text("SELECT count(*) FROM search_spelling"))
        try:
            for table in ("search_word", "search_spelling", "search_document"):
                db.session.execute(text(f"DELETE FROM {table}"))
            db.session.execute(text(migration.CARRY_DOCUMENTS_FORWARD))
            db.session.execute(text(migration.CARRY_SPELLING_FORWARD), {"stop_words": migration.STOP_WORDS})
            db.session.execute(text(migration.CARRY_WORDS_FORWARD))
            assert db.session.execute(documents).all() == written
            assert db.session.execute(text("SELECT * FROM search_word ORDER BY 1, 2")).all() == words
            assert len(written) == db.session.scalar(text("SELECT count(*) FROM listing WHERE status = 'published'"))
            assert spelling_rows == len(written) and all(row.words for row in written)
        finally:
            db.session.rollback()
            db.session.remove()


def _search_migration():
    """The search revision's module, loaded from its file (migrations are not a package)."""
    import importlib.util
    from pathlib import Path

    path = next((Path(__file__).resolve().parents[3] / "migrations" / "versions").glob(f"*_{SEARCH_DOCUMENTS}_*.py"))
    spec = importlib.util.spec_from_file_location("search_documents_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
