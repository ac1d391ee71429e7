"""PostgreSQL full-text search: a document per published listing, and the words for "did you mean"

On PostgreSQL: the `pg_trgm` extension, a text search configuration `catalog_search` (PostgreSQL's
parser, the Porter stemmer, no stop words), the `search_document` table with a weighted `tsvector`
(a GIN index) and its facet values (an index per filter), `search_spelling` with each document's
words, and `search_word` with a trigram index; the published listings are carried forward into all
three (`flask catalog reindex` recomputes them the way the application writes them). The GIN indexes
are built without a pending list (`fastupdate` off). On SQLite the tables are created with text and
JSON columns and stay empty (the Whoosh engine serves there).

Revision ID: 7c3e9a2d41f6
Revises: 238fe3cfbd66
Create Date: 2026-12-03 09:12:40.118305

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import marketplace.db


# revision identifiers, used by Alembic.
revision = '7c3e9a2d41f6'
down_revision = '238fe3cfbd66'
branch_labels = None
depends_on = None

TEXT_VECTOR = postgresql.TSVECTOR().with_variant(sa.Text(), 'sqlite')
TEXT_LIST = postgresql.ARRAY(sa.Text()).with_variant(sa.JSON(), 'sqlite')
# catalog.search.spelling.STOP_WORDS when this revision was written: words "did you mean" never offers.
STOP_WORDS = [
    'a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'can', 'for', 'from', 'have', 'if', 'in', 'is', 'it', 'may',
    'not', 'of', 'on', 'or', 'tbd', 'that', 'the', 'this', 'to', 'us', 'we', 'when', 'will', 'with', 'yet', 'you',
    'your',
]

# What catalog.search.services.document and catalog.search.fields make of a published listing.
PUBLISHED_LISTINGS = """
FROM listing l
JOIN organization o ON o.id = l.vendor_id
CROSS JOIN LATERAL (
    SELECT concat_ws(' ', l.description,
                     (SELECT string_agg(t, ' ') FROM json_array_elements_text(CAST(l.tags AS json)) AS t),
                     (SELECT string_agg(s, ' ') FROM json_array_elements_text(CAST(l.standards AS json)) AS s),
                     (SELECT string_agg(pi.name, ' ' ORDER BY pi.position, pi.id) FROM price_item pi
                      WHERE pi.listing_id = l.id AND NOT pi.is_retired),
                     o.name) AS body
) AS b
WHERE l.status = 'published'
"""
CARRY_DOCUMENTS_FORWARD = """
INSERT INTO search_document (listing_id, consortium_id, sort_title, tsv, category, pricing_models,
                             vendor_id, vendor_name, is_proven, min_price_cents, published_at)
SELECT l.id, l.consortium_id, left(lower(btrim(l.title)), 200),
       setweight(to_tsvector('catalog_search', l.title), 'A')
       || setweight(to_tsvector('catalog_search', l.summary), 'B')
       || setweight(to_tsvector('catalog_search', b.body), 'C'),
       l.category,
       ARRAY(SELECT json_array_elements_text(CAST(l.pricing_models AS json))),
       l.vendor_id, left(o.name, 200),
       EXISTS (SELECT 1 FROM pilot p
               WHERE p.listing_id = l.id AND p.status = 'verified' AND p.derived_outcome = 'met'),
       (SELECT min(pi.list_price) FROM price_item pi WHERE pi.listing_id = l.id AND NOT pi.is_retired),
       l.published_at
""" + PUBLISHED_LISTINGS
CARRY_SPELLING_FORWARD = """
INSERT INTO search_spelling (listing_id, consortium_id, words)
SELECT l.id, l.consortium_id,
       ARRAY(SELECT DISTINCT w
             FROM regexp_split_to_table(lower(l.title || ' ' || l.summary || ' ' || b.body), '[^[:alpha:]]+') AS w
             WHERE length(w) BETWEEN 3 AND 30 AND w <> ALL (CAST(:stop_words AS text[]))
             ORDER BY w)
""" + PUBLISHED_LISTINGS
CARRY_WORDS_FORWARD = """
INSERT INTO search_word (consortium_id, word)
SELECT DISTINCT consortium_id, word FROM search_spelling, unnest(words) AS word
"""


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE TEXT SEARCH DICTIONARY catalog_porter (TEMPLATE = snowball, LANGUAGE = porter)')
        op.execute('CREATE TEXT SEARCH CONFIGURATION catalog_search (COPY = english)')
        op.execute('ALTER TEXT SEARCH CONFIGURATION catalog_search '
                   'ALTER MAPPING REPLACE english_stem WITH catalog_porter')

    op.create_table('search_document',
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('sort_title', sa.String(length=200), nullable=False),
    sa.Column('tsv', TEXT_VECTOR, nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('pricing_models', TEXT_LIST, nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=True),
    sa.Column('vendor_name', sa.String(length=200), nullable=False),
    sa.Column('is_proven', sa.Boolean(), nullable=False),
    sa.Column('min_price_cents', sa.BigInteger(), nullable=True),
    sa.Column('published_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_search_document_listing_id_listing'),
                            ondelete='CASCADE', initially='DEFERRED', deferrable=True),
    sa.PrimaryKeyConstraint('listing_id', name=op.f('pk_search_document'))
    )
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.create_index('ix_search_document_category', ['consortium_id', 'category'], unique=False)
        batch_op.create_index('ix_search_document_vendor', ['consortium_id', 'vendor_id'], unique=False)
        batch_op.create_index('ix_search_document_proven', ['consortium_id', 'is_proven'], unique=False)
        batch_op.create_index('ix_search_document_tsv', ['tsv'], unique=False, postgresql_using='gin',
                              postgresql_with={'fastupdate': 'off'})

    op.create_table('search_spelling',
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('words', TEXT_LIST, nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['search_document.listing_id'],
                            name=op.f('fk_search_spelling_listing_id_search_document'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('listing_id', name=op.f('pk_search_spelling'))
    )
    with op.batch_alter_table('search_spelling', schema=None) as batch_op:
        batch_op.create_index('ix_search_spelling_words', ['words'], unique=False, postgresql_using='gin',
                              postgresql_with={'fastupdate': 'off'})

    op.create_table('search_word',
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('word', sa.String(length=30), nullable=False),
    sa.PrimaryKeyConstraint('consortium_id', 'word', name=op.f('pk_search_word'))
    )
    with op.batch_alter_table('search_word', schema=None) as batch_op:
        batch_op.create_index('ix_search_word_trigrams', ['word'], unique=False, postgresql_using='gin',
                              postgresql_ops={'word': 'gin_trgm_ops'})

    if postgres:
        op.execute(CARRY_DOCUMENTS_FORWARD)
        op.get_bind().execute(sa.text(CARRY_SPELLING_FORWARD), {'stop_words': STOP_WORDS})
        op.execute(CARRY_WORDS_FORWARD)


def downgrade():
    with op.batch_alter_table('search_word', schema=None) as batch_op:
        batch_op.drop_index('ix_search_word_trigrams')
    op.drop_table('search_word')
    with op.batch_alter_table('search_spelling', schema=None) as batch_op:
        batch_op.drop_index('ix_search_spelling_words')
    op.drop_table('search_spelling')
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.drop_index('ix_search_document_tsv')
        batch_op.drop_index('ix_search_document_proven')
        batch_op.drop_index('ix_search_document_vendor')
        batch_op.drop_index('ix_search_document_category')
    op.drop_table('search_document')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TEXT SEARCH CONFIGURATION IF EXISTS catalog_search')
        op.execute('DROP TEXT SEARCH DICTIONARY IF EXISTS catalog_porter')
        # pg_trgm stays: other schemas or tools may use it.
