"""refresh: staged rows indexed by refresh only; created records kept as id ranges

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 09:10:00.000000

Staged rows are inserted in id order, so an index on refresh_id alone grows at its end
while (refresh_id, kk) took a random insert per row. A commit records the records it
created as one id range per kind instead of one refresh_change row per record.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('refresh_row', schema=None) as batch_op:
        batch_op.drop_index('ix_refresh_row_refresh_kk')
        batch_op.create_index('ix_refresh_row_refresh_id', ['refresh_id'], unique=False)
    with op.batch_alter_table('refresh_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_entity_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('refresh_change', schema=None) as batch_op:
        batch_op.drop_column('last_entity_id')
    with op.batch_alter_table('refresh_row', schema=None) as batch_op:
        batch_op.drop_index('ix_refresh_row_refresh_id')
        batch_op.create_index('ix_refresh_row_refresh_kk', ['refresh_id', 'kk'], unique=False)
