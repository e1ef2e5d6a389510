"""city: dinas and kecamatan roles, the time a queued job started

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 12:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OLD_ROLE = "role IN ('admin', 'staff', 'volunteer')"
OLD_KELURAHAN = "role = 'admin' OR kelurahan_id IS NOT NULL"
ROLE = "role IN ('admin', 'staff', 'volunteer', 'dinas', 'kecamatan')"
KELURAHAN = "role IN ('admin', 'dinas', 'kecamatan') OR kelurahan_id IS NOT NULL"
KECAMATAN = "(role = 'kecamatan') = (kecamatan_code IS NOT NULL)"


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kecamatan_code", sa.String(length=6), nullable=True))
        batch_op.drop_constraint(batch_op.f("ck_user_account_role"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_user_account_kelurahan"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_user_account_role"), ROLE)
        batch_op.create_check_constraint(batch_op.f("ck_user_account_kelurahan"), KELURAHAN)
        batch_op.create_check_constraint(batch_op.f("ck_user_account_kecamatan"), KECAMATAN)

    with op.batch_alter_table("refresh_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("refresh_job", schema=None) as batch_op:
        batch_op.drop_column("started_at")

    op.execute("DELETE FROM user_account WHERE role IN ('dinas', 'kecamatan')")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_user_account_kecamatan"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_user_account_kelurahan"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_user_account_role"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_user_account_role"), OLD_ROLE)
        batch_op.create_check_constraint(batch_op.f("ck_user_account_kelurahan"), OLD_KELURAHAN)
        batch_op.drop_column("kecamatan_code")
