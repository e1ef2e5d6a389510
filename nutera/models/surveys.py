"""Household surveys brought back by volunteers, their members and their status history."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nutera.extensions import db
from nutera.models.accounts import User
from nutera.models.base import TimestampMixin
from nutera.models.labels import LabelledEnum
from nutera.models.people import Household, HouseObservation
from nutera.models.region import Rt
from nutera.models.work import SurveyTask
from nutera.timeutil import utcnow


class SurveyStatus(LabelledEnum):
    DRAFT = "draft", "Draf"
    SUBMITTED = "submitted", "Menunggu verifikasi"
    RETURNED = "returned", "Dikembalikan untuk perbaikan"
    VERIFIED = "verified", "Terverifikasi"
    REJECTED = "rejected", "Ditolak"


SURVEY_STATUSES = SurveyStatus.labels()
# Surveys a volunteer may still edit.
EDITABLE = (SurveyStatus.DRAFT, SurveyStatus.RETURNED)
# Surveys sent in and not rejected: they count as the household surveyed.
SENT = (SurveyStatus.SUBMITTED, SurveyStatus.RETURNED, SurveyStatus.VERIFIED)
# Where a surveyed member stands; maps onto Person.status and Person.residence on approval.
PRESENCES = {
    "tinggal": "Tinggal di sini",
    "pendatang": "Pendatang (KTP luar daerah)",
    "pindah": "Sudah pindah",
    "meninggal": "Meninggal",
}


ACTIVE_WHERE = "status IN ('submitted', 'returned', 'verified')"


class Survey(TimestampMixin, HouseObservation, db.Model):
    """One household surveyed at the door by a volunteer, then verified by staff."""

    __tablename__ = "survey"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'returned', 'verified', 'rejected')", name="status"
        ),
        sa.Index("ix_survey_kelurahan_status_submitted", "kelurahan_id", "status", "submitted_at"),
        # Lists filter within a kelurahan and page by id: these keep SQLite off a full scan.
        sa.Index("ix_survey_kelurahan_status", "kelurahan_id", "status"),
        sa.Index("ix_survey_kelurahan_volunteer", "kelurahan_id", "volunteer_id"),
        sa.Index("ix_survey_rt_status", "rt_id", "status"),
        sa.Index("ix_survey_kk_period", "kk_number", "period"),
        # One active survey per household and period, whoever submits it and however fast.
        sa.Index(
            "uq_survey_kk_period_active",
            "kk_number",
            "period",
            unique=True,
            sqlite_where=sa.text(ACTIVE_WHERE),
            postgresql_where=sa.text(ACTIVE_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    rt_id: Mapped[int] = mapped_column(sa.ForeignKey("rt.id"))
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_task.id"), index=True)
    # The registry household this survey was matched to (by KK) when submitted.
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(7))  # e.g. "2026-Q4"
    status: Mapped[str] = mapped_column(sa.String(10), default=SurveyStatus.DRAFT)
    kk_number: Mapped[str | None] = mapped_column(sa.String(16))
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    kode_pos: Mapped[str] = mapped_column(sa.String(5), default="")
    member_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Warnings found on submit (NIK elsewhere, no KTP, confirmed mismatch...); 0 = clean.
    flag_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Unsaved form state as [name, value] pairs, kept until the survey is submitted.
    draft: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    draft_saved_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    staff_note: Mapped[str] = mapped_column(sa.Text, default="")

    rt: Mapped[Rt] = relationship()
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    task: Mapped[SurveyTask | None] = relationship()
    household: Mapped[Household | None] = relationship()
    members: Mapped[list["SurveyMember"]] = relationship(
        back_populates="survey", order_by="SurveyMember.position", cascade="all, delete-orphan"
    )
    events: Mapped[list["SurveyStatusEvent"]] = relationship(
        back_populates="survey", order_by="SurveyStatusEvent.id", cascade="all, delete-orphan"
    )

    audit_exclude = frozenset({"draft", "draft_saved_at"})

    @property
    def status_label(self) -> str:
        return SURVEY_STATUSES[self.status]

    @property
    def editable(self) -> bool:
        """Whether the volunteer may still change it."""
        return self.status in EDITABLE


class SurveyMember(db.Model):
    """One person as recorded by a survey."""

    __tablename__ = "survey_member"
    __table_args__ = (sa.Index("ix_survey_member_nik", "nik"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    nik: Mapped[str | None] = mapped_column(sa.String(16))
    has_ktp: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    name: Mapped[str] = mapped_column(sa.String(120))
    relation: Mapped[str] = mapped_column(sa.String(20))
    sex: Mapped[str] = mapped_column(sa.String(1))
    birth_date: Mapped[date]
    occupation: Mapped[str] = mapped_column(sa.String(80), default="")
    monthly_income: Mapped[int | None]
    disability: Mapped[str | None] = mapped_column(sa.String(20))
    is_asn_tni_polri: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    presence: Mapped[str] = mapped_column(sa.String(10), default="tinggal")
    maternity: Mapped[str | None] = mapped_column(sa.String(8))
    disability_severity: Mapped[str | None] = mapped_column(sa.String(8))
    in_school: Mapped[bool | None]
    # The volunteer confirmed a sex/birth date that differs from what the NIK encodes.
    mismatch_confirmed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    survey: Mapped[Survey] = relationship(back_populates="members")


class SurveyStatusEvent(db.Model):
    """One step of a survey's life: who moved it to which status, when, and why."""

    __tablename__ = "survey_status_event"
    __table_args__ = (sa.Index("ix_survey_status_event_survey", "survey_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(sa.String(10))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    survey: Mapped[Survey] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return SURVEY_STATUSES[self.status]
