"""kelurahan: its own time zone (empty means its province's: WIB, WITA or WIT)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("kelurahan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("kelurahan", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
