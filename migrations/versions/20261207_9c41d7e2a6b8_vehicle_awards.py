"""Multi-award vehicles: a vehicle awards one or more vendors, each with its listings and price schedule

Every existing vehicle is carried forward as one award: its vendor, the listings it covered and its whole
price schedule. `vehicle.vendor_id` and `vehicle_listing` go; schedule lines now belong to an award (and
still name their vehicle, so a price item stays scheduled at most once per vehicle).

Revision ID: 9c41d7e2a6b8
Revises: 8d3f2a61c5e7
Create Date: 2026-12-07 09:12:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c41d7e2a6b8'
down_revision = '8d3f2a61c5e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('vehicle_award',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], name=op.f('fk_vehicle_award_vehicle_id_vehicle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vendor_id'], ['organization.id'], name=op.f('fk_vehicle_award_vendor_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vehicle_award')),
    sa.UniqueConstraint('vehicle_id', 'vendor_id', name='vehicle_vendor')
    )
    with op.batch_alter_table('vehicle_award', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vehicle_award_vehicle_id'), ['vehicle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vehicle_award_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('award_listing',
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['vehicle_award.id'], name=op.f('fk_award_listing_award_id_vehicle_award'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_award_listing_listing_id_listing')),
    sa.PrimaryKeyConstraint('award_id', 'listing_id', name=op.f('pk_award_listing'))
    )

    # Every vehicle becomes one award: its vendor, its covered listings and its schedule.
    op.execute("INSERT INTO vehicle_award (vehicle_id, vendor_id, position) SELECT id, vendor_id, 0 FROM vehicle")
    op.execute("INSERT INTO award_listing (award_id, listing_id) "
               "SELECT a.id, vl.listing_id FROM vehicle_listing vl JOIN vehicle_award a ON a.vehicle_id = vl.vehicle_id")
    with op.batch_alter_table('schedule_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('award_id', sa.Integer(), nullable=True))
    op.execute("UPDATE schedule_item SET award_id = "
               "(SELECT a.id FROM vehicle_award a WHERE a.vehicle_id = schedule_item.vehicle_id)")
    with op.batch_alter_table('schedule_item', schema=None) as batch_op:
        batch_op.alter_column('award_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_schedule_item_award_id'), ['award_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_schedule_item_award_id_vehicle_award'), 'vehicle_award',
                                    ['award_id'], ['id'], ondelete='CASCADE')

    op.drop_table('vehicle_listing')
    with op.batch_alter_table('vehicle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vehicle_vendor_id'))
        batch_op.drop_constraint(batch_op.f('fk_vehicle_vendor_id_organization'), type_='foreignkey')
        batch_op.drop_column('vendor_id')


def downgrade():
    # Back to one vendor per vehicle: the first award's vendor, listings and schedule (the lines of any
    # further award are dropped).
    with op.batch_alter_table('vehicle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vendor_id', sa.Integer(), nullable=True))
    op.execute("UPDATE vehicle SET vendor_id = (SELECT a.vendor_id FROM vehicle_award a WHERE a.vehicle_id = vehicle.id "
               "ORDER BY a.position, a.id LIMIT 1)")
    with op.batch_alter_table('vehicle', schema=None) as batch_op:
        batch_op.alter_column('vendor_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_vehicle_vendor_id_organization'), 'organization', ['vendor_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_vehicle_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('vehicle_listing',
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_vehicle_listing_listing_id_listing')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], name=op.f('fk_vehicle_listing_vehicle_id_vehicle'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vehicle_id', 'listing_id', name=op.f('pk_vehicle_listing'))
    )
    op.execute("INSERT INTO vehicle_listing (vehicle_id, listing_id) SELECT a.vehicle_id, al.listing_id "
               "FROM award_listing al JOIN vehicle_award a ON a.id = al.award_id JOIN vehicle v ON v.id = a.vehicle_id "
               "WHERE a.vendor_id = v.vendor_id")
    op.execute("DELETE FROM schedule_item WHERE award_id NOT IN (SELECT a.id FROM vehicle_award a "
               "JOIN vehicle v ON v.id = a.vehicle_id WHERE a.vendor_id = v.vendor_id)")
    with op.batch_alter_table('schedule_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_schedule_item_award_id_vehicle_award'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_schedule_item_award_id'))
        batch_op.drop_column('award_id')

    op.drop_table('award_listing')
    with op.batch_alter_table('vehicle_award', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vehicle_award_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_vehicle_award_vehicle_id'))

    op.drop_table('vehicle_award')
