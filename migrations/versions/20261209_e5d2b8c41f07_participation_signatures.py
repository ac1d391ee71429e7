"""Signed participation: the member's and the office's signatures on participating addenda

Participations executed before this revision get no rows: a migration cannot invent signatures, and the
app shows them as "executed before signatures were recorded".

Revision ID: e5d2b8c41f07
Revises: d81f4a6c2b39
Create Date: 2026-12-09 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import marketplace.db


# revision identifiers, used by Alembic.
revision = 'e5d2b8c41f07'
down_revision = 'd81f4a6c2b39'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('participation_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('authority', sa.Text(), nullable=False),
    sa.Column('signed_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('terms_sha256', sa.String(length=64), nullable=False),
    sa.Column('voided_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_reason', sa.Text(), nullable=True),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("role IN ('member', 'office')", name=op.f('ck_participation_signature_role')),
    sa.ForeignKeyConstraint(['consortium_id'], ['consortium.id'], name=op.f('fk_participation_signature_consortium_id_consortium')),
    sa.ForeignKeyConstraint(['participation_id'], ['participation.id'], name=op.f('fk_participation_signature_participation_id_participation')),
    sa.ForeignKeyConstraint(['signer_id'], ['user.id'], name=op.f('fk_participation_signature_signer_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_signature'))
    )
    with op.batch_alter_table('participation_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_signature_consortium_id'), ['consortium_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participation_signature_participation_id'), ['participation_id'], unique=False)
        batch_op.create_index('uq_participation_signature_current', ['participation_id', 'role'], unique=True,
                              sqlite_where=sa.text('voided_at IS NULL'), postgresql_where=sa.text('voided_at IS NULL'))


def downgrade():
    with op.batch_alter_table('participation_signature', schema=None) as batch_op:
        batch_op.drop_index('uq_participation_signature_current')
        batch_op.drop_index(batch_op.f('ix_participation_signature_participation_id'))
        batch_op.drop_index(batch_op.f('ix_participation_signature_consortium_id'))
    op.drop_table('participation_signature')
