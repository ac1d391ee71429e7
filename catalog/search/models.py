"""The PostgreSQL search engine's tables: a searchable document per published listing, its words "did
you mean" may offer, and the words of the whole consortium.

Rows are derived data, written in the same transaction as the listing change they follow
(``services``), and rebuilt from the listings by ``flask catalog reindex``. On SQLite the tables
exist (one schema for both databases) but stay empty: the Whoosh engine serves there, and the
PostgreSQL types fall back to plain text and JSON.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from catalog.listings.models import CATEGORY_MAX
from catalog.search.fields import RATING_DIGITS, RATING_PLACES, SORT_TITLE_MAX
from marketplace.db import Base, UTCDateTime

# The text search configuration the migration creates: PostgreSQL's parser, then the Porter stemmer
# (the one Whoosh uses) and no stop words (queries drop ``spelling.STOP_WORDS`` themselves).
TEXT_SEARCH_CONFIG = "catalog_search"
VENDOR_NAME_MAX = 200
WORD_MAX = 30  # ``spelling.spellable``: longer words are never offered

TextVector = TSVECTOR().with_variant(Text(), "sqlite")
TextList = ARRAY(Text()).with_variant(JSON(), "sqlite")
# GIN indexes take each change at once instead of queueing it in a "pending list" that every search must
# then read through (and that makes the planner cost the index too high) until VACUUM merges it.
GIN_DIRECT = {"fastupdate": "off"}


class SearchDocument(Base):
    """A published listing as PostgreSQL full-text search sees it: a weighted ``tsvector`` (title A,
    summary B, body C), its facet values and sort keys (``catalog.search.fields``).

    A broad search reads every row it matches, so the rows hold nothing else (the spelling words are in
    ``search_spelling``): the narrower they are, the fewer pages a search reads."""

    __tablename__ = "search_document"
    __table_args__ = (
        Index("ix_search_document_tsv", "tsv", postgresql_using="gin", postgresql_with=GIN_DIRECT),
        # A filter's index lets PostgreSQL read only the matches within it (a bitmap AND with the text's).
        Index("ix_search_document_category", "consortium_id", "category"),
        Index("ix_search_document_vendor", "consortium_id", "vendor_id"),
        Index("ix_search_document_proven", "consortium_id", "is_proven"),
    )

    # Deleting the listing deletes its document. Checked at commit (deferred), so documents can be
    # written in any order within a transaction, and engine tests can write documents of made-up
    # listings in a transaction they roll back.
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED"), primary_key=True)
    consortium_id: Mapped[int] = mapped_column()
    sort_title: Mapped[str] = mapped_column(String(SORT_TITLE_MAX))
    tsv = mapped_column(TextVector, nullable=False)
    category: Mapped[str] = mapped_column(String(CATEGORY_MAX))
    pricing_models = mapped_column(TextList, nullable=False)
    vendor_id: Mapped[int | None] = mapped_column()
    vendor_name: Mapped[str] = mapped_column(String(VENDOR_NAME_MAX))
    is_proven: Mapped[bool] = mapped_column()
    min_price_cents: Mapped[int | None] = mapped_column(BigInteger)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The average overall rating of the listing's published reviews (``fields.rating``); None: unrated.
    rating: Mapped[Decimal | None] = mapped_column(Numeric(RATING_DIGITS, RATING_PLACES))


class SearchSpelling(Base):
    """A document's words "did you mean" may offer (``fields.spelling_words``): how many listings hold a
    word decides between corrections. Deleting the document deletes them."""

    __tablename__ = "search_spelling"
    __table_args__ = (
        Index("ix_search_spelling_words", "words", postgresql_using="gin", postgresql_with=GIN_DIRECT),
    )

    listing_id: Mapped[int] = mapped_column(ForeignKey("search_document.listing_id", ondelete="CASCADE"),
                                            primary_key=True)
    consortium_id: Mapped[int] = mapped_column()
    words = mapped_column(TextList, nullable=False)


class SearchWord(Base):
    """A word some listing of the consortium holds (or held: a rebuild forgets the ones no listing
    holds any more), for ``pg_trgm`` to find the ones close to a misspelling."""

    __tablename__ = "search_word"
    __table_args__ = (
        Index("ix_search_word_trigrams", "word", postgresql_using="gin", postgresql_ops={"word": "gin_trgm_ops"}),
    )

    consortium_id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(WORD_MAX), primary_key=True)
