"""Keep the search index in step with the database: derived data, rebuilt from it at will.

Any flush that touches a listing, one of its price items or a pilot marks that listing; just
before the commit the documents are built from the database (published listings indexed, all others
removed). On PostgreSQL they are written to ``search_document`` right then, in the same transaction
as the change (whichever engine serves: switching engines never finds stale rows), and a search by
the PostgreSQL engine first writes the marks of its own transaction. The Whoosh index, a folder on
one machine, is written only after the commit succeeds. A rollback discards the marks and the rows.
`reindex()` rebuilds the engine's whole index from the database at any time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from itertools import chain
from typing import TYPE_CHECKING

from flask import current_app, has_app_context
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, selectinload

from catalog.listings.models import Listing, PriceItem
from catalog.pilots.models import Pilot, proven_clause
from catalog.reviews.models import Review
from catalog.search import pg
from catalog.search.engine import WhooshEngine
from catalog.search.results import IndexUnavailable, SearchResult
from catalog.search.synonyms import synonym_table
from marketplace.extensions import db

if TYPE_CHECKING:
    from catalog.search import SearchEngine

log = logging.getLogger(__name__)

_TOUCHED = "catalog.touched"
_READY = "catalog.ready"
BATCH = 1000  # listings read from the database at a time by a rebuild (and a step of its progress)
# Transaction-level advisory locks on (this number, listing id): two transactions touching the same
# listing write its document one after the other, each from what the other committed.
DOCUMENT_LOCK = 7_401_118


def _whoosh() -> SearchEngine:
    return WhooshEngine(current_app.config["SEARCH_INDEX_DIR"], synonyms=_synonyms())


def _postgres() -> SearchEngine:
    return pg.PostgresEngine(lambda: db.session.connection(), synonyms=_synonyms())


def _synonyms():
    return synonym_table(current_app.config.get("SEARCH_SYNONYMS"))


ENGINES: dict[str, Callable[[], SearchEngine]] = {"whoosh": _whoosh, "postgres": _postgres}


def engine_name() -> str:
    """``SEARCH_ENGINE`` (checked and defaulted by ``marketplace.config``)."""
    return current_app.config.get("SEARCH_ENGINE") or "whoosh"


def get_engine() -> SearchEngine:
    """The app's engine, opened once per process: Whoosh on `SEARCH_INDEX_DIR`, or PostgreSQL on the
    app's database (``SEARCH_ENGINE``)."""
    engines = current_app.extensions.setdefault("catalog_indexes", {})
    name = engine_name()
    key = current_app.config["SEARCH_INDEX_DIR"] if name == "whoosh" else name
    if key not in engines:
        if name not in ENGINES:
            raise RuntimeError(f"SEARCH_ENGINE must be one of {sorted(ENGINES)}, not {name!r}")
        engines[key] = ENGINES[name]()
    return engines[key]


def touch_listing(session: Session, listing_id: int | None) -> None:
    """Mark a listing for re-indexing at the next commit."""
    if listing_id is not None:
        session.info.setdefault(_TOUCHED, set()).add(listing_id)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Listing):
            touch_listing(session, obj.id)
        elif isinstance(obj, PriceItem | Pilot | Review):  # a review: the listing's average rating
            touch_listing(session, obj.listing_id)


@event.listens_for(Session, "before_commit")
def _prepare(session: Session) -> None:
    session.flush()  # changes not flushed yet mark their listings now (the commit would flush them next)
    ready = _write_touched(session)
    if ready is not None and has_app_context() and engine_name() == "whoosh":
        session.info[_READY] = ready


def _write_touched(session: Session) -> tuple[list[dict], list[int]] | None:
    """Build the documents of the marked listings (and forget the marks); on PostgreSQL, write them
    to ``search_document`` in the session's transaction. Returns (documents, ids of the listings
    that are not published), or None when nothing was marked."""
    if not session.info.get(_TOUCHED):
        return None
    session.flush()
    ids = sorted(session.info.pop(_TOUCHED, set()))
    connection = session.connection()
    on_postgres = connection.dialect.name == "postgresql"
    if on_postgres:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key, id) FROM unnest(CAST(:ids AS integer[])) AS id"),
                           {"key": DOCUMENT_LOCK, "ids": ids})
    # Read by a session of its own, after the locks: the rows as they are now (this transaction's
    # changes, and what another one committed meanwhile), not objects the caller loaded earlier.
    with _reading_session(connection) as reader:
        docs, gone = _documents(reader, ids)
    if on_postgres:
        pg.write(connection, docs, gone)
    return docs, gone


@event.listens_for(Session, "after_commit")
def _apply(session: Session) -> None:
    ready = session.info.pop(_READY, None)
    if ready is None:
        return
    docs, gone = ready
    try:
        engine = get_engine()
        if docs:
            engine.index(docs)
        if gone:
            engine.remove(gone)
    except IndexUnavailable as err:  # no index yet (fresh install) or a damaged one: rebuilt on next use
        # A fresh install (`demo load` before `catalog reindex`) has no index yet: nothing to warn about.
        level = logging.INFO if "does not exist" in str(err) else logging.WARNING
        log.log(level, "search index not updated (%s); it will be rebuilt from the database on next use", err)
        current_app.extensions["catalog_index_stale"] = True
    except Exception:  # the commit stands; the index is derived data and is rebuilt on next use
        log.exception("search index update failed for listings %s; it will be rebuilt",
                      sorted([d["id"] for d in docs] + list(gone))[:20])
        current_app.extensions["catalog_index_stale"] = True


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_TOUCHED, None)
    session.info.pop(_READY, None)


def document(listing: Listing, proven: bool, rating=None) -> dict:
    """A listing as the engines index it (plain data: see ``catalog.search.fields``)."""
    return {
        "id": listing.id,
        "consortium_id": listing.consortium_id,
        "title": listing.title,
        "summary": listing.summary,
        "description": listing.description or "",
        "tags": list(listing.tags or []),
        "standards": list(listing.standards or []),
        "price_item_names": [p.name for p in listing.active_price_items],
        "category": listing.category,
        "pricing_models": list(listing.pricing_models or []),
        "vendor_id": listing.vendor_id,
        "vendor_name": listing.vendor.name,
        "proven": proven,
        "min_price": lowest_price(listing),
        "published_at": listing.published_at,
        "rating": rating,
    }


def lowest_price(listing: Listing):
    """The lowest list price of the listing's active price items (what "sort by price" orders by), or None."""
    prices = [p.list_price for p in listing.active_price_items]
    return min(prices) if prices else None


def _rating(rated_sum, rated_count):
    """The average overall rating of the published reviews, exact (SQL's AVG is a float on SQLite); None when
    there are none."""
    return Decimal(int(rated_sum)) / int(rated_count) if rated_count else None


def _published(*conditions):
    published = (Review.listing_id == Listing.id) & (Review.status == "published")
    rated_sum = select(func.coalesce(func.sum(Review.overall), 0)).where(published).scalar_subquery()
    rated_count = select(func.count(Review.id)).where(published).scalar_subquery()
    return (
        select(Listing, proven_clause().label("proven"), rated_sum.label("rated_sum"), rated_count.label("rated"))
        .where(Listing.status == "published", *conditions)
        .options(selectinload(Listing.price_items), selectinload(Listing.vendor))
        .execution_options(all_tenants=True)
    )


def _documents(session: Session, ids: Iterable[int]) -> tuple[list[dict], list[int]]:
    ids = sorted(set(ids))
    if not ids:
        return [], []
    docs = [document(listing, bool(proven), _rating(rated_sum, rated))
            for listing, proven, rated_sum, rated in session.execute(_published(Listing.id.in_(ids)))]
    published = {d["id"] for d in docs}
    return docs, [i for i in ids if i not in published]


def published_documents(session: Session, progress: Callable[[int], object] | None = None) -> Iterator[dict]:
    """Every published listing of every consortium as an index document, read ``BATCH`` at a time.

    ``progress(n)`` is called once the ``n`` documents of a batch have been consumed (indexed), so a
    progress bar advances batch by batch. The session is emptied after each batch: use one of its
    own (``_reading_session``), not the caller's.
    """
    last_id = 0
    while True:
        rows = session.execute(_published(Listing.id > last_id).order_by(Listing.id).limit(BATCH)).all()
        if not rows:
            return
        for listing, proven, rated_sum, rated in rows:
            yield document(listing, bool(proven), _rating(rated_sum, rated))
        last_id = rows[-1][0].id
        session.expunge_all()  # a rebuild of 50,000 listings must not keep them all in memory
        if progress is not None:
            progress(len(rows))


def count_published(session: Session) -> int:
    stmt = select(func.count(Listing.id)).where(Listing.status == "published").execution_options(all_tenants=True)
    return session.scalar(stmt) or 0


@contextmanager
def _reading_session(connection: Connection | None = None) -> Iterator[Session]:
    """A session of its own on the current transaction's connection: it sees what the caller sees
    (uncommitted rows included), and emptying it leaves the caller's objects attached (a rebuild
    may run in the middle of a request that still uses them). Closing it leaves the transaction as
    it is ("rollback_only"; by default, inside a savepoint, closing would roll back what the
    PostgreSQL engine's rebuild wrote meanwhile)."""
    session = Session(bind=connection or db.session.connection(), join_transaction_mode="rollback_only")
    try:
        yield session
    finally:
        session.close()


def reindex(progress: Callable[[int], object] | None = None) -> int:
    """Rebuild the whole index from the database; returns the number of listings indexed.

    ``progress(n)`` is called after each batch of ``n`` listings is indexed (the shape of
    ``tqdm.update``). The PostgreSQL engine rebuilds in the current transaction: commit it."""
    with _reading_session() as session:
        total = count_published(session)
        done = get_engine().rebuild(published_documents(session, progress), total=total)
    current_app.extensions.pop("catalog_index_stale", None)
    log.info("catalog search index rebuilt: %d published listings", done)
    return done


def search(consortium_id: int, q: str = "", **filters) -> SearchResult:
    """Search the consortium's published listings (``filters``: see ``SearchEngine.search``). A
    missing, corrupt or stale Whoosh index is rebuilt from the database (and logged), so the
    catalog always answers; the PostgreSQL engine's rows are never stale (it first writes the
    changes of the current transaction)."""
    engine = get_engine()
    if getattr(engine, "in_transaction", False):
        _write_touched(db.session())
        return engine.search(consortium_id, q, **filters)
    if current_app.extensions.get("catalog_index_stale"):
        reindex()
    try:
        return engine.search(consortium_id, q, **filters)
    except IndexUnavailable as err:
        log.warning("catalog search index unavailable (%s); rebuilding from the database", err)
        reindex()
        return engine.search(consortium_id, q, **filters)


def load_published(ids: list[int]) -> list[Listing]:
    """The published listings behind search hits, in rank order, with vendor and prices (two queries)."""
    if not ids:
        return []
    stmt = (
        select(Listing)
        .where(Listing.id.in_(ids), Listing.status == "published")
        .options(selectinload(Listing.vendor), selectinload(Listing.price_items))
    )
    by_id = {listing.id: listing for listing in db.session.scalars(stmt)}
    return [by_id[i] for i in ids if i in by_id]
