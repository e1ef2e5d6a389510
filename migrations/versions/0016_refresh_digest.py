"""refresh: per-row digests of the last staged file, for incremental re-imports

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 12:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "refresh_digest",
        sa.Column("refresh_id", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("context", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("digests", sa.LargeBinary(), nullable=False),
        sa.Column("niks", sa.LargeBinary(), nullable=False),
        sa.Column("kks", sa.LargeBinary(), nullable=False),
        sa.Column("scan", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["refresh_id"],
            ["refresh.id"],
            name=op.f("fk_refresh_digest_refresh_id_refresh"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("refresh_id", name=op.f("pk_refresh_digest")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Stored as written: compressing 8 MB of packed NIKs cost ~1 s per commit (pglz),
        # and the digests do not compress at all.
        for column in ("digests", "niks", "kks"):
            op.execute(f"ALTER TABLE refresh_digest ALTER COLUMN {column} SET STORAGE EXTERNAL")


def downgrade():
    op.drop_table("refresh_digest")
