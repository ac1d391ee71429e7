"""Writing ``search_document``, ``search_spelling`` and ``search_word`` rows on the caller's connection,
so they change in the same transaction as the listings they follow (and a rollback takes them back too)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from sqlalchemy import text
from sqlalchemy.engine import Connection

from catalog.search import fields
from catalog.search.models import TEXT_SEARCH_CONFIG

BATCH = 500  # documents written per statement batch

_VECTOR = (f"setweight(to_tsvector('{TEXT_SEARCH_CONFIG}', :title), 'A') || "
           f"setweight(to_tsvector('{TEXT_SEARCH_CONFIG}', :summary), 'B') || "
           f"setweight(to_tsvector('{TEXT_SEARCH_CONFIG}', :body), 'C')")
_COLUMNS = ("consortium_id", "sort_title", "tsv", "category", "pricing_models", "vendor_id", "vendor_name",
            "is_proven", "min_price_cents", "published_at", "rating")
_VALUES = (f"(:listing_id, :consortium_id, :sort_title, {_VECTOR}, :category, CAST(:pricing_models AS text[]), "
           f":vendor_id, :vendor_name, :is_proven, :min_price_cents, :published_at, :rating)")
UPSERT = text(f"""
    INSERT INTO search_document (listing_id, {", ".join(_COLUMNS)}) VALUES {_VALUES}
    ON CONFLICT (listing_id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS)}
""")
UPSERT_SPELLING = text("""
    INSERT INTO search_spelling (listing_id, consortium_id, words)
    VALUES (:listing_id, :consortium_id, CAST(:words AS text[]))
    ON CONFLICT (listing_id) DO UPDATE SET consortium_id = EXCLUDED.consortium_id, words = EXCLUDED.words
""")
# A rebuild first writes every document to temporary tables (``position``: the last one written for a
# listing wins, as with UPSERT), then into the tables in the order (consortium, category, listing), so a
# topic's listings share pages and a search for it reads fewer pages.
STAGE = [text("DROP TABLE IF EXISTS search_document_stage, search_spelling_stage"),
         text("CREATE TEMPORARY TABLE search_document_stage (LIKE search_document, position bigserial)"),
         text("CREATE TEMPORARY TABLE search_spelling_stage (LIKE search_spelling, position bigserial)")]
STAGE_DOCUMENT = text(f"INSERT INTO search_document_stage (listing_id, {', '.join(_COLUMNS)}) VALUES {_VALUES}")
STAGE_SPELLING = text("INSERT INTO search_spelling_stage (listing_id, consortium_id, words) "
                      "VALUES (:listing_id, :consortium_id, CAST(:words AS text[]))")
UNSTAGE = [text(f"""
    INSERT INTO search_document (listing_id, {", ".join(_COLUMNS)})
    SELECT listing_id, {", ".join(_COLUMNS)} FROM (
        SELECT DISTINCT ON (listing_id) * FROM search_document_stage ORDER BY listing_id, position DESC
    ) AS d ORDER BY consortium_id, category, listing_id
"""), text("""
    INSERT INTO search_spelling (listing_id, consortium_id, words)
    SELECT DISTINCT ON (listing_id) listing_id, consortium_id, words FROM search_spelling_stage
    ORDER BY listing_id, position DESC
"""), text("DROP TABLE search_document_stage, search_spelling_stage")]
# Sorted, so two transactions adding the same new words take their locks in the same order.
ADD_WORDS = text("""
    INSERT INTO search_word (consortium_id, word)
    SELECT :consortium_id, word FROM unnest(CAST(:words AS text[])) AS word ORDER BY word
    ON CONFLICT DO NOTHING
""")
DELETE = text("DELETE FROM search_document WHERE listing_id = ANY(CAST(:ids AS integer[]))")  # and their spelling
# After a rebuild the planner's statistics describe the tables as they were: refresh them in the same
# transaction (autovacuum may be off or late), or broad searches get plans made for a few rows.
ANALYZE = text("ANALYZE search_document, search_spelling, search_word")


def row(doc: dict) -> dict:
    """A listing document (``catalog.search.fields``) as the parameters of ``UPSERT``."""
    price = fields.lowest_price(doc)
    return {
        "listing_id": int(doc["id"]),
        "consortium_id": int(doc["consortium_id"]),
        "sort_title": fields.sort_title(doc),
        "title": fields.title(doc),
        "summary": fields.summary(doc),
        "body": fields.body(doc),
        "words": fields.spelling_words(doc),
        "category": (doc.get("category") or "")[:30],
        "pricing_models": list(doc.get("pricing_models") or ()),
        "vendor_id": int(doc["vendor_id"]) if doc.get("vendor_id") else None,
        "vendor_name": (doc.get("vendor_name") or "")[:200],
        "is_proven": bool(doc.get("proven")),
        "min_price_cents": None if price is None else int(price * 100),
        "published_at": fields.published_at(doc),
        "rating": fields.rating(doc),
    }


def write(connection: Connection, docs: Iterable[dict], gone: Iterable[int] = (), staged: bool = False) -> int:
    """Add or replace the documents of ``docs`` and delete those of the ``gone`` listing ids;
    returns how many documents were written (``staged``: to the temporary tables of a rebuild)."""
    ids = sorted({int(i) for i in gone})
    if ids:
        connection.execute(DELETE, {"ids": ids})
    written = 0
    for batch in _batches(docs):
        rows = sorted(map(row, batch), key=lambda r: r["listing_id"])  # the same lock order everywhere
        connection.execute(STAGE_DOCUMENT if staged else UPSERT, rows)
        connection.execute(STAGE_SPELLING if staged else UPSERT_SPELLING,
                           [{key: r[key] for key in ("listing_id", "consortium_id", "words")} for r in rows])
        words: dict[int, set[str]] = {}
        for r in rows:
            words.setdefault(r["consortium_id"], set()).update(r["words"])
        connection.execute(ADD_WORDS, [{"consortium_id": c, "words": sorted(w)} for c, w in sorted(words.items())])
        written += len(rows)
    return written


def replace_all(connection: Connection, docs: Iterable[dict], progress: Callable[[int], object] | None = None) -> int:
    """Every document anew: the old rows and words go, ``docs`` come (other transactions see the old
    ones until this one commits); then the tables' statistics are refreshed."""
    connection.execute(text("DELETE FROM search_spelling"))
    connection.execute(text("DELETE FROM search_document"))
    connection.execute(text("DELETE FROM search_word"))
    for statement in STAGE:
        connection.execute(statement)
    count = 0
    for batch in _batches(docs):
        done = write(connection, batch, staged=True)
        count += done
        if progress is not None:
            progress(done)
    for statement in UNSTAGE:
        connection.execute(statement)
    connection.execute(ANALYZE)
    return count


def _batches(docs: Iterable[dict]) -> Iterator[list[dict]]:
    docs = iter(docs)
    while batch := list(islice(docs, BATCH)):
        yield batch
