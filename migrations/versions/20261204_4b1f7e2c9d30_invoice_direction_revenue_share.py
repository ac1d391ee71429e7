"""invoice direction and guarantee block: the city bills the vendor for its revenue share

An invoice now says who bills whom: `vendor_to_city` (the vendor's invoice for its work, every invoice so
far, carried forward as such) or `city_to_vendor` (the city's invoice for its share of a period's verified
revenue, or for the true-up of a guarantee block, named by `block`).

Revision ID: 4b1f7e2c9d30
Revises: 7c3e9a2d41f6
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '4b1f7e2c9d30'
down_revision = '7c3e9a2d41f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direction', sa.String(length=20), server_default='vendor_to_city',
                                      nullable=False))
        batch_op.add_column(sa.Column('block', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('direction', "direction IN ('vendor_to_city', 'city_to_vendor')")
        batch_op.create_check_constraint(
            'block', "block IS NULL OR (block >= 1 AND period IS NULL AND direction = 'city_to_vendor')")


def downgrade():
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_invoice_block'), type_='check')
        batch_op.drop_constraint(op.f('ck_invoice_direction'), type_='check')
        batch_op.drop_column('block')
        batch_op.drop_column('direction')
