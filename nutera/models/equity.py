"""Stored snapshots of the fairness indicators (Tingkat Pemerataan Bantuan), week by week.

A snapshot keeps counts per program and RW, never ratios: coverage, errors and the spread
between RWs are derived from the counts, the same way for the live figures and the trend.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nutera.extensions import db
from nutera.timeutil import utcnow

SNAPSHOT_TRIGGERS = {
    "pemutakhiran": "Setelah pemutakhiran data",
    "harian": "Potret harian",
    "manual": "Diambil petugas",
}


class EquitySnapshot(db.Model):
    """The indicators of one kelurahan at one moment (after a refresh, nightly, by hand)."""

    __tablename__ = "equity_snapshot"
    __table_args__ = (sa.Index("ix_equity_snapshot_kelurahan_taken", "kelurahan_id", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"))
    taken_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    trigger: Mapped[str] = mapped_column(sa.String(14))
    refresh_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("refresh.id", ondelete="SET NULL")
    )

    rows: Mapped[list["EquitySnapshotRow"]] = relationship(
        back_populates="snapshot", cascade="all, delete-orphan"
    )


class EquitySnapshotRow(db.Model):
    """Counts of one program in one RW at the snapshot's moment."""

    __tablename__ = "equity_snapshot_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("equity_snapshot.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("aid_program.id", ondelete="CASCADE"))
    rw_id: Mapped[int] = mapped_column(sa.ForeignKey("rw.id", ondelete="CASCADE"))
    households: Mapped[int]  # households with at least one living member
    eligible: Mapped[int]  # meeting the program's rule
    recipients: Mapped[int]  # with an active enrollment
    covered: Mapped[int]  # eligible and receiving
    wrongly_included: Mapped[int]  # receiving but not meeting the rule
    unknown: Mapped[int]  # rule cannot be decided: data missing
    recent: Mapped[int]  # data verified or confirmed within six months

    snapshot: Mapped[EquitySnapshot] = relationship(back_populates="rows")
