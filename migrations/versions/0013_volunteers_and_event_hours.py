"""volunteers: applications and confidentiality pledges; distribution events: invited hours

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 09:31:46.199914

Students apply on a public page (volunteer_application); volunteers accept a versioned
data-confidentiality pledge before a first survey (volunteer_pledge). Events may carry the
hours recipients are invited for, printed on the invitations.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "volunteer_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kelurahan_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("campus", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("preferred_rw_id", sa.Integer(), nullable=True),
        sa.Column("availability", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decline_reason", sa.String(length=500), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('baru', 'diterima', 'ditolak')",
            name=op.f("ck_volunteer_application_status"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_volunteer_application_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["kelurahan_id"],
            ["kelurahan.id"],
            name=op.f("fk_volunteer_application_kelurahan_id_kelurahan"),
        ),
        sa.ForeignKeyConstraint(
            ["preferred_rw_id"],
            ["rw.id"],
            name=op.f("fk_volunteer_application_preferred_rw_id_rw"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_volunteer_application_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_application")),
    )
    with op.batch_alter_table("volunteer_application", schema=None) as batch_op:
        batch_op.create_index(
            "ix_volunteer_application_kelurahan_status", ["kelurahan_id", "status"], unique=False
        )

    op.create_table(
        "volunteer_pledge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kelurahan_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["kelurahan_id"],
            ["kelurahan.id"],
            name=op.f("fk_volunteer_pledge_kelurahan_id_kelurahan"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_volunteer_pledge_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_pledge")),
        sa.UniqueConstraint(
            "user_id", "version", name=op.f("uq_volunteer_pledge_user_id_version")
        ),
    )
    with op.batch_alter_table("volunteer_pledge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_pledge_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("distribution_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_start", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("time_end", sa.Time(), nullable=True))


def downgrade():
    with op.batch_alter_table("distribution_event", schema=None) as batch_op:
        batch_op.drop_column("time_end")
        batch_op.drop_column("time_start")

    with op.batch_alter_table("volunteer_pledge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_pledge_user_id"))

    op.drop_table("volunteer_pledge")
    with op.batch_alter_table("volunteer_application", schema=None) as batch_op:
        batch_op.drop_index("ix_volunteer_application_kelurahan_status")

    op.drop_table("volunteer_application")
