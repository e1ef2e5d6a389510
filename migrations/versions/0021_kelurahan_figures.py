"""city: per-kelurahan residents and recipients counted ahead of time for the overview

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-01 16:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kelurahan_figures",
        sa.Column("kelurahan_id", sa.Integer(), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["kelurahan_id"],
            ["kelurahan.id"],
            name=op.f("fk_kelurahan_figures_kelurahan_id_kelurahan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kelurahan_id", name=op.f("pk_kelurahan_figures")),
    )


def downgrade():
    op.drop_table("kelurahan_figures")
