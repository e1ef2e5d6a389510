"""Aid programs and who is enrolled in them."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nutera.extensions import db
from nutera.models.base import TimestampMixin
from nutera.models.labels import LabelledEnum
from nutera.models.people import Household, Person


class Target(LabelledEnum):
    PERSON = "person", "Perorangan"
    HOUSEHOLD = "household", "Keluarga (KK)"


class EnrollmentStatus(LabelledEnum):
    AKTIF = "aktif", "Aktif"
    DITANGGUHKAN = "ditangguhkan", "Ditangguhkan"
    BERAKHIR = "berakhir", "Berakhir"


TARGETS = Target.labels()
ENROLLMENT_STATUSES = EnrollmentStatus.labels()
# Enrollments that still count as receiving (a suspension is not an end).
ENROLLED = (EnrollmentStatus.AKTIF, EnrollmentStatus.DITANGGUHKAN)


class AidProgram(TimestampMixin, db.Model):
    """A social assistance program (PKH, BPNT, ...) as run in one kelurahan."""

    __tablename__ = "aid_program"
    __table_args__ = (
        sa.UniqueConstraint("kelurahan_id", "code"),
        sa.CheckConstraint("target IN ('person', 'household')", name="target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    target: Mapped[str] = mapped_column(sa.String(10))
    active: Mapped[bool] = mapped_column(default=True)


class Enrollment(TimestampMixin, db.Model):
    """A person or household receiving a program for a period; ended, never deleted."""

    __tablename__ = "enrollment"
    __table_args__ = (
        sa.CheckConstraint(
            "(person_id IS NULL) <> (household_id IS NULL)", name="one_beneficiary"
        ),
        sa.CheckConstraint("status IN ('aktif', 'ditangguhkan', 'berakhir')", name="status"),
        sa.Index("ix_enrollment_program_status", "program_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("aid_program.id"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household.id"), index=True)
    collector_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    period_start: Mapped[date]
    period_end: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(12), default=EnrollmentStatus.AKTIF)
    status_reason: Mapped[str] = mapped_column(sa.String(255), default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The validated recipient-list row it was created from (sanding), if any.
    sanding_row_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sanding_row.id", ondelete="SET NULL"), index=True
    )

    program: Mapped[AidProgram] = relationship()
    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])
    household: Mapped[Household | None] = relationship()
    collector: Mapped[Person | None] = relationship(foreign_keys=[collector_id])
