"""order pricing model: which of the listing's pricing models an order buys under

`purchase_order.pricing_model` is one of `purchase`, `as_a_service`, `revenue_share`, `vendor_financed`
(the listings' pricing models). Existing orders are carried forward by what their terms say, the rule
`contracts.orders.models.implied_pricing_model` keeps for orders that name no model:

- performance terms with a `revenue_share` block → `revenue_share` (a concession or revenue-share order);
- any other performance terms → `as_a_service` (paid per period by its terms);
- no performance terms (lines only) → `purchase`.

No existing order becomes `vendor_financed`: that model is chosen when an order is drafted (with its vendor
financing). The JSON column is read in Python, so the rule is the same on SQLite and PostgreSQL.

Revision ID: 6a2d9e4b7c13
Revises: 5e8b1c7d2f04
Create Date: 2026-12-08 09:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

revision = '6a2d9e4b7c13'
down_revision = '5e8b1c7d2f04'
branch_labels = None
depends_on = None


def _implied(performance) -> str:
    if isinstance(performance, str):
        performance = json.loads(performance) if performance.strip() else None
    if performance and performance.get('revenue_share'):
        return 'revenue_share'
    return 'as_a_service' if performance else 'purchase'


def upgrade():
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pricing_model', sa.String(length=20), server_default='purchase',
                                      nullable=False))
    orders = sa.table('purchase_order', sa.column('id', sa.Integer), sa.column('performance', sa.JSON),
                      sa.column('pricing_model', sa.String))
    conn = op.get_bind()
    for order_id, performance in conn.execute(sa.select(orders.c.id, orders.c.performance)).all():
        model = _implied(performance)
        if model != 'purchase':
            conn.execute(orders.update().where(orders.c.id == order_id).values(pricing_model=model))
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'pricing_model', "pricing_model IN ('purchase', 'as_a_service', 'revenue_share', 'vendor_financed')")


def downgrade():
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_purchase_order_pricing_model'), type_='check')
        batch_op.drop_column('pricing_model')
