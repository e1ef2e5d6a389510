"""Volunteer applications from the public page and the pledges volunteers accept."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nutera.extensions import db
from nutera.models.accounts import User
from nutera.models.base import TimestampMixin, utcnow
from nutera.models.region import Kelurahan, Rw


class ApplicationStatus(StrEnum):
    """Where a volunteer application stands."""

    PENDING = "baru"
    APPROVED = "diterima"
    DECLINED = "ditolak"


APPLICATION_STATUSES = {
    ApplicationStatus.PENDING: "Menunggu tinjauan",
    ApplicationStatus.APPROVED: "Diterima",
    ApplicationStatus.DECLINED: "Ditolak",
}


class VolunteerApplication(TimestampMixin, db.Model):
    """A student asking to join as a volunteer (relawan) of one kelurahan."""

    __tablename__ = "volunteer_application"
    __table_args__ = (
        sa.CheckConstraint("status IN ('baru', 'diterima', 'ditolak')", name="status"),
        sa.Index("ix_volunteer_application_kelurahan_status", "kelurahan_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"))
    full_name: Mapped[str] = mapped_column(sa.String(120))
    campus: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str] = mapped_column(sa.String(20))
    preferred_rw_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rw.id"))
    availability: Mapped[str] = mapped_column(sa.String(300), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default=ApplicationStatus.PENDING)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decline_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    kelurahan: Mapped[Kelurahan] = relationship()
    preferred_rw: Mapped[Rw | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @property
    def status_label(self) -> str:
        return APPLICATION_STATUSES[ApplicationStatus(self.status)]


class VolunteerPledge(db.Model):
    """A volunteer's acceptance of one version of the data-confidentiality pledge."""

    __tablename__ = "volunteer_pledge"
    __table_args__ = (sa.UniqueConstraint("user_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"))
    version: Mapped[str] = mapped_column(sa.String(20))
    accepted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
