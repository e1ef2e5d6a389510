"""Work items shared between features: survey tasks, targeting cases and settings.

Survey tasks are created by staff or from a resident's proposal (usul) and done by the
volunteers of that RT; targeting cases are possible exclusion/inclusion errors raised by
the eligibility rules or by a resident's rebuttal (sanggah) and decided by staff.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nutera.extensions import db
from nutera.models.base import TimestampMixin
from nutera.models.labels import LabelledEnum
from nutera.models.people import Household, Person
from nutera.models.programs import AidProgram, Enrollment
from nutera.models.region import Rt
from nutera.timeutil import utcnow


class TaskStatus(LabelledEnum):
    TERBUKA = "terbuka", "Belum didata"
    SELESAI = "selesai", "Sudah didata"
    BATAL = "batal", "Dibatalkan"


class TargetingKind(LabelledEnum):
    EXCLUSION = "exclusion", "Memenuhi syarat tapi belum menerima"
    INCLUSION = "inclusion", "Menerima tapi tidak lagi memenuhi syarat"


class TargetingDecision(LabelledEnum):
    TERBUKA = "terbuka", "Belum diputuskan"
    USUL_TAMBAH = "usul_tambah", "Diusulkan masuk"
    USUL_HAPUS = "usul_hapus", "Diusulkan keluar"
    TETAP = "tetap", "Tidak diubah"


SURVEY_TASK_STATUSES = TaskStatus.labels()
TARGETING_KINDS = TargetingKind.labels()
TARGETING_DECISIONS = TargetingDecision.labels()


class SurveyTask(TimestampMixin, db.Model):
    """A household (or address) volunteers of an RT should survey."""

    __tablename__ = "survey_task"
    __table_args__ = (sa.Index("ix_survey_task_rt_status", "rt_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    rt_id: Mapped[int] = mapped_column(sa.ForeignKey("rt.id"))
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household.id"))
    subject_name: Mapped[str] = mapped_column(sa.String(120), default="")
    subject_nik: Mapped[str | None] = mapped_column(sa.String(16))
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.String(20), default="petugas")  # petugas / usul
    source_ref: Mapped[str | None] = mapped_column(sa.String(40))  # e.g. complaint code
    status: Mapped[str] = mapped_column(sa.String(10), default=TaskStatus.TERBUKA)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    completed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    rt: Mapped[Rt] = relationship()
    household: Mapped[Household | None] = relationship()


class TargetingCase(TimestampMixin, db.Model):
    """A possible targeting error for one program, and the staff decision on it."""

    __tablename__ = "targeting_case"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('exclusion', 'inclusion')", name="kind"),
        sa.Index("ix_targeting_case_program_decision", "program_id", "decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("aid_program.id"))
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household.id"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    enrollment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrollment.id"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    source: Mapped[str] = mapped_column(
        sa.String(20), default="aturan"
    )  # aturan/sanggah/usul/petugas
    source_ref: Mapped[str | None] = mapped_column(sa.String(40))
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    decision: Mapped[str] = mapped_column(sa.String(12), default=TargetingDecision.TERBUKA)
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    program: Mapped[AidProgram] = relationship()
    household: Mapped[Household | None] = relationship()
    person: Mapped[Person | None] = relationship()
    enrollment: Mapped[Enrollment | None] = relationship()


class Setting(db.Model):
    """A named value, per kelurahan or (kelurahan_id NULL) for the whole deployment."""

    __tablename__ = "setting"
    __table_args__ = (sa.UniqueConstraint("kelurahan_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("kelurahan.id"))
    key: Mapped[str] = mapped_column(sa.String(60))
    value: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
