"""reliability: refresh write stamps, job heartbeats, one active survey per KK and period

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 09:40:00.000000

A commit stamps the records it writes with records_stamped_at and records when it became
visible in committed_at; refresh_change keeps each record's previous updated_at so reverting
a later refresh leaves an earlier one revertible. A refresh job records its worker and a
heartbeat. A household has one active survey per period: surveys that already break that
rule keep the oldest and are rejected with a note before the unique index is built.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('submitted', 'returned', 'verified')"
_DUPLICATES = (
    "SELECT id FROM survey s WHERE " + ACTIVE.replace("status", "s.status") + " AND EXISTS ("
    "SELECT 1 FROM survey o WHERE o.kk_number = s.kk_number AND o.period = s.period "
    "AND o.id < s.id AND " + ACTIVE.replace("status", "o.status") + ")"
)


def upgrade():
    with op.batch_alter_table("refresh", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("records_stamped_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE refresh SET records_stamped_at = committed_at")
    with op.batch_alter_table("refresh_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("old_updated_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("refresh_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("worker", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))

    duplicates = [row[0] for row in op.get_bind().execute(sa.text(_DUPLICATES))]
    if duplicates:
        op.execute(
            sa.text(
                "INSERT INTO survey_status_event (survey_id, status, note, at) "
                "SELECT id, 'rejected', :note, CURRENT_TIMESTAMP FROM survey WHERE id IN :ids"
            ).bindparams(
                sa.bindparam("ids", duplicates, expanding=True),
                note="Ditolak otomatis: KK ini sudah punya survei aktif lain pada periode yang sama.",
            )
        )
        op.execute(
            sa.text("UPDATE survey SET status = 'rejected' WHERE id IN :ids").bindparams(
                sa.bindparam("ids", duplicates, expanding=True)
            )
        )
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.create_index(
            "uq_survey_kk_period_active",
            ["kk_number", "period"],
            unique=True,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )


def downgrade():
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_survey_kk_period_active",
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )
    with op.batch_alter_table("refresh_job", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("worker")
    with op.batch_alter_table("refresh_change", schema=None) as batch_op:
        batch_op.drop_column("old_updated_at")
    # Earlier versions read committed_at as the time on the records a commit wrote.
    op.execute(
        "UPDATE refresh SET committed_at = records_stamped_at WHERE records_stamped_at IS NOT NULL"
    )
    with op.batch_alter_table("refresh", schema=None) as batch_op:
        batch_op.drop_column("records_stamped_at")
