"""equity: household composition, desil, snapshots of the fairness indicators

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 09:33:45.850043

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "equity_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kelurahan_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trigger", sa.String(length=14), nullable=False),
        sa.Column("refresh_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["kelurahan_id"],
            ["kelurahan.id"],
            name=op.f("fk_equity_snapshot_kelurahan_id_kelurahan"),
        ),
        sa.ForeignKeyConstraint(
            ["refresh_id"],
            ["refresh.id"],
            name=op.f("fk_equity_snapshot_refresh_id_refresh"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equity_snapshot")),
    )
    with op.batch_alter_table("equity_snapshot", schema=None) as batch_op:
        batch_op.create_index(
            "ix_equity_snapshot_kelurahan_taken", ["kelurahan_id", "taken_at"], unique=False
        )

    op.create_table(
        "equity_snapshot_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("rw_id", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("covered", sa.Integer(), nullable=False),
        sa.Column("wrongly_included", sa.Integer(), nullable=False),
        sa.Column("unknown", sa.Integer(), nullable=False),
        sa.Column("recent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["aid_program.id"],
            name=op.f("fk_equity_snapshot_row_program_id_aid_program"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rw_id"], ["rw.id"], name=op.f("fk_equity_snapshot_row_rw_id_rw"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["equity_snapshot.id"],
            name=op.f("fk_equity_snapshot_row_snapshot_id_equity_snapshot"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equity_snapshot_row")),
    )
    with op.batch_alter_table("equity_snapshot_row", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_equity_snapshot_row_snapshot_id"), ["snapshot_id"], unique=False
        )

    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.add_column(sa.Column("desil", sa.SmallInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("refresh_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("maternity", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("disability_severity", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("in_school", sa.Boolean(), nullable=True))

    with op.batch_alter_table("refresh_row", schema=None) as batch_op:
        batch_op.add_column(sa.Column("desil", sa.SmallInteger(), nullable=True))

    with op.batch_alter_table("survey_member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("maternity", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("disability_severity", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("in_school", sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table("survey_member", schema=None) as batch_op:
        batch_op.drop_column("in_school")
        batch_op.drop_column("disability_severity")
        batch_op.drop_column("maternity")

    with op.batch_alter_table("refresh_row", schema=None) as batch_op:
        batch_op.drop_column("desil")

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("in_school")
        batch_op.drop_column("disability_severity")
        batch_op.drop_column("maternity")

    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_column("refresh_confirmed_at")
        batch_op.drop_column("desil")

    with op.batch_alter_table("equity_snapshot_row", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equity_snapshot_row_snapshot_id"))

    op.drop_table("equity_snapshot_row")
    with op.batch_alter_table("equity_snapshot", schema=None) as batch_op:
        batch_op.drop_index("ix_equity_snapshot_kelurahan_taken")

    op.drop_table("equity_snapshot")
