"""refresh: staged rows read by id range; created records kept as id ranges

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 09:10:00.000000

A refresh records the id range of its staged rows and reads them through the primary key,
so refresh_row keeps no index beside it (the (refresh_id, kk) index took a random insert
per staged row). A commit records the records it created as one id range per kind instead
of one refresh_change row per record. A refresh remembers when it was analysed, so a
commit can tell that the registry changed after its preview.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("refresh", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_row_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_row_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=True))
    # Rows staged before this version: one range over all of them (rows of other refreshes
    # inside it are told apart by refresh_id).
    op.execute(
        "UPDATE refresh SET first_row_id = (SELECT min(id) FROM refresh_row WHERE "
        "refresh_row.refresh_id = refresh.id), last_row_id = (SELECT max(id) FROM "
        "refresh_row WHERE refresh_row.refresh_id = refresh.id)"
    )
    with op.batch_alter_table("refresh_row", schema=None) as batch_op:
        batch_op.drop_index("ix_refresh_row_refresh_kk")
    with op.batch_alter_table("refresh_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_entity_id", sa.Integer(), nullable=True))


def downgrade():
    # Earlier versions revert one refresh_change row per created record: spell each range out.
    for table in ("household", "person", "enrollment"):
        op.execute(
            "INSERT INTO refresh_change (refresh_id, entity, entity_id, action) "
            f"SELECT c.refresh_id, c.entity, t.id, 'create' FROM refresh_change c "
            f"JOIN refresh r ON r.id = c.refresh_id JOIN {table} t ON t.id BETWEEN "
            "c.entity_id AND c.last_entity_id AND t.kelurahan_id = r.kelurahan_id AND "
            f"t.created_at = r.committed_at WHERE c.action = 'create' AND c.entity = '{table}' "
            "AND c.last_entity_id IS NOT NULL"
        )
    op.execute("DELETE FROM refresh_change WHERE last_entity_id IS NOT NULL")
    with op.batch_alter_table("refresh_change", schema=None) as batch_op:
        batch_op.drop_column("last_entity_id")
    with op.batch_alter_table("refresh_row", schema=None) as batch_op:
        batch_op.create_index("ix_refresh_row_refresh_kk", ["refresh_id", "kk"], unique=False)
    with op.batch_alter_table("refresh", schema=None) as batch_op:
        batch_op.drop_column("analysed_at")
        batch_op.drop_column("last_row_id")
        batch_op.drop_column("first_row_id")
