"""offline: device outbox submissions (first result kept per idempotency key) and blobs by SHA-256

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 12:38:02.185125

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "offline_blob",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_offline_blob_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offline_blob")),
        sa.UniqueConstraint("user_id", "sha256", name=op.f("uq_offline_blob_user_id_sha256")),
    )
    op.create_table(
        "offline_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kelurahan_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=True),
        sa.Column("handover_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("conflict", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("device_version", sa.String(length=64), nullable=True),
        sa.Column("server_version", sa.String(length=64), nullable=True),
        sa.Column("device_copy", sa.JSON(), nullable=True),
        sa.Column("server_copy", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["handover_id"],
            ["handover.id"],
            name=op.f("fk_offline_submission_handover_id_handover"),
        ),
        sa.ForeignKeyConstraint(
            ["kelurahan_id"],
            ["kelurahan.id"],
            name=op.f("fk_offline_submission_kelurahan_id_kelurahan"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_offline_submission_survey_id_survey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_offline_submission_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offline_submission")),
        sa.UniqueConstraint(
            "user_id",
            "idempotency_key",
            name=op.f("uq_offline_submission_user_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("offline_submission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_offline_submission_kelurahan_id"), ["kelurahan_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_offline_submission_survey_id"), ["survey_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("offline_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offline_submission_survey_id"))
        batch_op.drop_index(batch_op.f("ix_offline_submission_kelurahan_id"))

    op.drop_table("offline_submission")
    op.drop_table("offline_blob")
