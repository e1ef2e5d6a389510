"""sanding: recipient lists validated against the population, candidates, decisions,
program exclusion pairs; enrollments remember their validated row

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 12:39:30.126849

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "program_exclusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_a", sa.String(length=20), nullable=False),
        sa.Column("code_b", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("code_a < code_b", name=op.f("ck_program_exclusion_ordered")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_program_exclusion_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_exclusion")),
        sa.UniqueConstraint("code_a", "code_b", name=op.f("uq_program_exclusion_code_a_code_b")),
    )
    op.create_table(
        "sanding_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refresh_id", sa.Integer(), nullable=False),
        sa.Column("kelurahan_id", sa.Integer(), nullable=False),
        sa.Column("sheet", sa.String(length=60), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("nik", sa.String(length=20), nullable=True),
        sa.Column("original_nik", sa.String(length=20), nullable=True),
        sa.Column("kk", sa.String(length=20), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("rt_id", sa.Integer(), nullable=True),
        sa.Column("programs", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("identity_confirmed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("best_score", sa.Integer(), nullable=True),
        sa.Column("review", sa.String(length=12), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("survey_task_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["user_account.id"],
            name=op.f("fk_sanding_row_assignee_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_sanding_row_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["kelurahan_id"], ["kelurahan.id"], name=op.f("fk_sanding_row_kelurahan_id_kelurahan")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_sanding_row_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["refresh_id"],
            ["refresh.id"],
            name=op.f("fk_sanding_row_refresh_id_refresh"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["rt_id"], ["rt.id"], name=op.f("fk_sanding_row_rt_id_rt")),
        sa.ForeignKeyConstraint(
            ["survey_task_id"],
            ["survey_task.id"],
            name=op.f("fk_sanding_row_survey_task_id_survey_task"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanding_row")),
    )
    with op.batch_alter_table("sanding_row", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sanding_row_kelurahan_review", ["kelurahan_id", "review"], unique=False
        )
        batch_op.create_index("ix_sanding_row_person", ["person_id"], unique=False)
        batch_op.create_index("ix_sanding_row_refresh_nik", ["refresh_id", "nik"], unique=False)
        batch_op.create_index(
            "ix_sanding_row_refresh_status", ["refresh_id", "status"], unique=False
        )

    op.create_table(
        "sanding_candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("kelurahan_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kelurahan_id"],
            ["kelurahan.id"],
            name=op.f("fk_sanding_candidate_kelurahan_id_kelurahan"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_sanding_candidate_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["row_id"],
            ["sanding_row.id"],
            name=op.f("fk_sanding_candidate_row_id_sanding_row"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanding_candidate")),
        sa.UniqueConstraint(
            "row_id", "person_id", name=op.f("uq_sanding_candidate_row_id_person_id")
        ),
    )
    op.create_table(
        "sanding_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("kelurahan_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["kelurahan_id"],
            ["kelurahan.id"],
            name=op.f("fk_sanding_decision_kelurahan_id_kelurahan"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_sanding_decision_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["row_id"],
            ["sanding_row.id"],
            name=op.f("fk_sanding_decision_row_id_sanding_row"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_sanding_decision_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanding_decision")),
    )
    with op.batch_alter_table("sanding_decision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sanding_decision_kelurahan_at", ["kelurahan_id", "decided_at"], unique=False
        )

    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sanding_row_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_enrollment_sanding_row_id_sanding_row"),
            "sanding_row",
            ["sanding_row_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index("ix_person_birth_date", ["birth_date"], unique=False)


def downgrade():
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_birth_date")

    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_enrollment_sanding_row_id_sanding_row"), type_="foreignkey"
        )
        batch_op.drop_column("sanding_row_id")

    with op.batch_alter_table("sanding_decision", schema=None) as batch_op:
        batch_op.drop_index("ix_sanding_decision_kelurahan_at")

    op.drop_table("sanding_decision")
    op.drop_table("sanding_candidate")
    with op.batch_alter_table("sanding_row", schema=None) as batch_op:
        batch_op.drop_index("ix_sanding_row_refresh_status")
        batch_op.drop_index("ix_sanding_row_refresh_nik")
        batch_op.drop_index("ix_sanding_row_person")
        batch_op.drop_index("ix_sanding_row_kelurahan_review")

    op.drop_table("sanding_row")
    op.drop_table("program_exclusion")
