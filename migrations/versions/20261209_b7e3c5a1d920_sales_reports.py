"""Quarterly sales reports, their lines and admin-fee payments; the consortium's report and fee due days

Revision ID: b7e3c5a1d920
Revises: 6a2d9e4b7c13
Create Date: 2026-12-09 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import marketplace.db


# revision identifiers, used by Alembic.
revision = 'b7e3c5a1d920'
down_revision = '6a2d9e4b7c13'
branch_labels = None
depends_on = None


def upgrade():
    # Existing consortia are carried forward with the defaults (30 and 60 days).
    with op.batch_alter_table('consortium', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_due_days', sa.Integer(), server_default='30', nullable=False))
        batch_op.add_column(sa.Column('fee_due_days', sa.Integer(), server_default='60', nullable=False))

    op.create_table('sales_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.String(length=6), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('fee_due_on', sa.Date(), nullable=False),
    sa.Column('admin_fee_pct', marketplace.db.ExactDecimal(length=40), nullable=False),
    sa.Column('net_total', marketplace.db.Money(), nullable=False),
    sa.Column('fee', marketplace.db.Money(), nullable=False),
    sa.Column('fee_paid', marketplace.db.Money(), nullable=False),
    sa.Column('submitted_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('updated_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('due', 'submitted', 'accepted', 'returned')", name=op.f('ck_sales_report_status')),
    sa.CheckConstraint('fee >= 0', name=op.f('ck_sales_report_fee')),
    sa.CheckConstraint('fee_paid >= 0 AND fee_paid <= fee', name=op.f('ck_sales_report_fee_paid')),
    sa.ForeignKeyConstraint(['consortium_id'], ['consortium.id'], name=op.f('fk_sales_report_consortium_id_consortium')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_sales_report_decided_by_id_user')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_sales_report_submitted_by_id_user')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], name=op.f('fk_sales_report_vehicle_id_vehicle')),
    sa.ForeignKeyConstraint(['vendor_id'], ['organization.id'], name=op.f('fk_sales_report_vendor_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_report')),
    sa.UniqueConstraint('vehicle_id', 'vendor_id', 'quarter', name='vehicle_vendor_quarter')
    )
    with op.batch_alter_table('sales_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_report_consortium_id'), ['consortium_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_report_vehicle_id'), ['vehicle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_report_vendor_id'), ['vendor_id'], unique=False)
        batch_op.create_index('ix_sales_report_quarter_status', ['quarter', 'status'], unique=False)

    op.create_table('sales_report_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('customer_name', sa.String(length=200), nullable=True),
    sa.Column('gross', marketplace.db.Money(), nullable=False),
    sa.Column('tax', marketplace.db.Money(), nullable=False),
    sa.Column('freight', marketplace.db.Money(), nullable=False),
    sa.Column('returns', marketplace.db.Money(), nullable=False),
    sa.Column('net', marketplace.db.Money(), nullable=False),
    sa.CheckConstraint("source IN ('platform', 'reported')", name=op.f('ck_sales_report_line_source')),
    sa.CheckConstraint('gross >= 0 AND tax >= 0 AND freight >= 0 AND returns >= 0',
                       name=op.f('ck_sales_report_line_amounts')),
    sa.CheckConstraint('member_id IS NOT NULL OR customer_name IS NOT NULL',
                       name=op.f('ck_sales_report_line_customer')),
    sa.ForeignKeyConstraint(['member_id'], ['organization.id'], name=op.f('fk_sales_report_line_member_id_organization')),
    sa.ForeignKeyConstraint(['report_id'], ['sales_report.id'], name=op.f('fk_sales_report_line_report_id_sales_report'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_report_line'))
    )
    with op.batch_alter_table('sales_report_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_report_line_report_id'), ['report_id'], unique=False)

    op.create_table('fee_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('amount', marketplace.db.Money(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_fee_payment_amount')),
    sa.ForeignKeyConstraint(['consortium_id'], ['consortium.id'], name=op.f('fk_fee_payment_consortium_id_consortium')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_fee_payment_recorded_by_id_user')),
    sa.ForeignKeyConstraint(['report_id'], ['sales_report.id'], name=op.f('fk_fee_payment_report_id_sales_report')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_payment'))
    )
    with op.batch_alter_table('fee_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fee_payment_consortium_id'), ['consortium_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_payment_report_id'), ['report_id'], unique=False)


def downgrade():
    with op.batch_alter_table('fee_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_payment_report_id'))
        batch_op.drop_index(batch_op.f('ix_fee_payment_consortium_id'))
    op.drop_table('fee_payment')
    with op.batch_alter_table('sales_report_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_report_line_report_id'))
    op.drop_table('sales_report_line')
    with op.batch_alter_table('sales_report', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_report_quarter_status')
        batch_op.drop_index(batch_op.f('ix_sales_report_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_sales_report_vehicle_id'))
        batch_op.drop_index(batch_op.f('ix_sales_report_consortium_id'))
    op.drop_table('sales_report')
    with op.batch_alter_table('consortium', schema=None) as batch_op:
        batch_op.drop_column('fee_due_days')
        batch_op.drop_column('report_due_days')
