"""Residents' complaints (pengaduan), their photos and the staff's notes and public answers.

The reporter's name and phone are kept out of the audit log (``audit_exclude``): a
reporter who chose *anonim* is visible only to the assigned staff member, and the audit
log is read by every staff member of the kelurahan.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nutera.extensions import db
from nutera.models.accounts import User
from nutera.models.base import TimestampMixin
from nutera.models.labels import LabelledEnum
from nutera.models.people import Household, Person
from nutera.models.programs import Enrollment
from nutera.models.region import Rt
from nutera.timeutil import utcnow


class ComplaintCategory(LabelledEnum):
    TIDAK_TERIMA = "tidak_terima", "Bantuan tidak saya terima"
    SANGGAH = "sanggah", "Penerima tidak tepat (sanggah)"
    USUL = "usul", "Usulan penerima baru (usul)"
    DATA_SALAH = "data_salah", "Data salah"
    PETUGAS = "petugas", "Perilaku petugas"
    LAINNYA = "lainnya", "Lainnya"


class ComplaintStatus(LabelledEnum):
    BARU = "baru", "Baru"
    TERVERIFIKASI = "terverifikasi", "Terverifikasi"
    DIPROSES = "diproses", "Sedang diproses"
    DIJAWAB = "dijawab", "Sudah dijawab"
    SELESAI = "selesai", "Selesai"
    DITOLAK = "ditolak", "Ditolak"


COMPLAINT_CATEGORIES = ComplaintCategory.labels()
COMPLAINT_STATUSES = ComplaintStatus.labels()
OPEN_STATUSES = (ComplaintStatus.BARU, ComplaintStatus.TERVERIFIKASI, ComplaintStatus.DIPROSES)


class Complaint(TimestampMixin, db.Model):
    """A complaint filed by a resident, tracked by an unguessable code."""

    __tablename__ = "complaint"
    __table_args__ = (
        sa.CheckConstraint(
            "category IN ('tidak_terima', 'sanggah', 'usul', 'data_salah', 'petugas', 'lainnya')",
            name="category",
        ),
        sa.CheckConstraint(
            "status IN ('baru', 'terverifikasi', 'diproses', 'dijawab', 'selesai', 'ditolak')",
            name="status",
        ),
        sa.Index("ix_complaint_kelurahan_status", "kelurahan_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    rt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rt.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(15))
    subject_name: Mapped[str] = mapped_column(sa.String(120), default="")
    subject_nik: Mapped[str | None] = mapped_column(sa.String(16))
    subject_address: Mapped[str] = mapped_column(sa.String(255), default="")
    description: Mapped[str] = mapped_column(sa.Text)
    reporter_name: Mapped[str] = mapped_column(sa.String(120), default="")
    reporter_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    anonymous: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    confidential: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[str] = mapped_column(sa.String(15), default=ComplaintStatus.BARU)
    reject_reason: Mapped[str] = mapped_column(sa.Text, default="")
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # Service-level deadlines in working days, fixed when the clock starts.
    verify_due: Mapped[date]
    answer_due: Mapped[date | None]
    verified_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # What the complaint concerns, linked by staff after a scoped search.
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household.id"))
    enrollment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrollment.id"))
    # Work items made from it (usul -> survey task, sanggah -> targeting case).
    survey_task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_task.id"))
    targeting_case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("targeting_case.id"))

    rt: Mapped[Rt | None] = relationship()
    assigned_to: Mapped[User | None] = relationship()
    person: Mapped[Person | None] = relationship()
    household: Mapped[Household | None] = relationship()
    enrollment: Mapped[Enrollment | None] = relationship()
    photos: Mapped[list["ComplaintPhoto"]] = relationship(
        back_populates="complaint", order_by="ComplaintPhoto.id"
    )
    notes: Mapped[list["ComplaintNote"]] = relationship(
        back_populates="complaint", order_by="ComplaintNote.id"
    )

    audit_exclude = frozenset({"reporter_name", "reporter_phone"})

    @property
    def category_label(self) -> str:
        return COMPLAINT_CATEGORIES[self.category]

    @property
    def status_label(self) -> str:
        return COMPLAINT_STATUSES[self.status]

    def reporter_visible_to(self, user: User) -> bool:
        """Whether user may see the reporter's name and phone."""
        return not self.anonymous or self.assigned_to_id == user.id


class ComplaintPhoto(db.Model):
    """A photo attached by the reporter, re-encoded without metadata."""

    __tablename__ = "complaint_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"))
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), index=True)
    path: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    complaint: Mapped[Complaint] = relationship(back_populates="photos")


class ComplaintNote(db.Model):
    """A staff note: internal (staff only) or a public answer shown on the status page."""

    __tablename__ = "complaint_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"))
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    public: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    complaint: Mapped[Complaint] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()
