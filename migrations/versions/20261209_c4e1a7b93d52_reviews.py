"""verified reviews: the review table, and the rating the catalog sorts by

`review`: a member's review of a listing, one per order (`uq_review_order_id`), five ratings 1–5, a status
`submitted → published | rejected` and the vendor's one response. `search_document.rating`: the average overall
rating of a listing's published reviews, the PostgreSQL engine's sort key for "rating" (NULL: unrated; a
`flask catalog reindex` fills it, and every published review touches its listing).

Revision ID: c4e1a7b93d52
Revises: b7e3c5a1d920
Create Date: 2026-12-09 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c4e1a7b93d52'
down_revision = 'b7e3c5a1d920'
branch_labels = None
depends_on = None

RATINGS = ('overall', 'service', 'value', 'quality', 'timeliness')


def upgrade():
    op.create_table(
        'review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in RATINGS],
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('status_reason', sa.Text(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('response', sa.Text(), nullable=True),
        sa.Column('responded_by_id', sa.Integer(), nullable=True),
        sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('consortium_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('submitted', 'published', 'rejected')", name=op.f('ck_review_status')),
        *[sa.CheckConstraint(f'{name} BETWEEN 1 AND 5', name=op.f(f'ck_review_{name}_range')) for name in RATINGS],
        sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_review_author_id_user')),
        sa.ForeignKeyConstraint(['consortium_id'], ['consortium.id'], name=op.f('fk_review_consortium_id_consortium')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_review_decided_by_id_user')),
        sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_review_listing_id_listing')),
        sa.ForeignKeyConstraint(['member_id'], ['organization.id'], name=op.f('fk_review_member_id_organization')),
        sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_review_order_id_purchase_order')),
        sa.ForeignKeyConstraint(['responded_by_id'], ['user.id'], name=op.f('fk_review_responded_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review')),
        sa.UniqueConstraint('order_id', name=op.f('uq_review_order_id')),
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index('ix_review_listing_status', ['listing_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_consortium_id'), ['consortium_id'], unique=False)
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating', sa.Numeric(precision=12, scale=10), nullable=True))


def downgrade():
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.drop_column('rating')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_consortium_id'))
        batch_op.drop_index(batch_op.f('ix_review_member_id'))
        batch_op.drop_index('ix_review_listing_status')
    op.drop_table('review')
