"""sanding: indexes on what points at a list row (enrolments, decisions), so validating a
list again moves and deletes its rows without scanning those tables once per row

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 19:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enrollment_sanding_row_id"), ["sanding_row_id"], unique=False
        )
    with op.batch_alter_table("sanding_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sanding_decision_row_id"), ["row_id"], unique=False)


def downgrade():
    with op.batch_alter_table("sanding_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanding_decision_row_id"))
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrollment_sanding_row_id"))
