"""consortium time zone; user session version; idempotency request hash

The consortium's IANA time zone is how every time is shown (and how a request that lost a race is told
when the other one happened). Existing consortia are carried forward: the demo ones get their zone, any
other stays on UTC until an admin sets it. `session_version` lets signing out end the session on the
server: existing users start at 0, which every existing session also carries. An idempotency record
now keeps the hash of the request body, so a key reused with another body is refused (422); records
kept from before have none and are replayed as they were.

Revision ID: 5d2e8c1a9b7f
Revises: c4479166ceea
Create Date: 2026-12-01 06:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5d2e8c1a9b7f'
down_revision = 'c4479166ceea'
branch_labels = None
depends_on = None

KNOWN_ZONES = {"gpsr": "America/Phoenix", "frca": "America/Denver"}


def upgrade():
    with op.batch_alter_table('consortium', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=60), server_default='UTC', nullable=False))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_hash', sa.String(length=64), nullable=True))
    consortium = sa.table('consortium', sa.column('slug', sa.String), sa.column('time_zone', sa.String))
    for slug, zone in KNOWN_ZONES.items():
        op.execute(consortium.update().where(consortium.c.slug == slug).values(time_zone=zone))


def downgrade():
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_column('request_hash')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    with op.batch_alter_table('consortium', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
