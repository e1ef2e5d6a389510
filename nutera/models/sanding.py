"""Sanding data: recipient lists validated against the population, row by row.

A recipient list (DTKS, a program's list, a proposal list) is uploaded through the refresh
workflow but never changes the registry: each row gets one status with its reason, NIK
typos and name variants get candidate residents, and operators decide the unclear rows
one by one. Admins set which programs exclude each other across the city.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nutera.extensions import db
from nutera.models.accounts import User
from nutera.models.labels import LabelledEnum
from nutera.models.people import Person
from nutera.timeutil import utcnow


class SourceKind(LabelledEnum):
    """What a refresh source is; chosen once per source and remembered."""

    PENDUDUK = "penduduk", "Penduduk (Dukcapil)"
    PENERIMA = "penerima", "Daftar penerima / usulan (DTKS, daftar program, usulan)"
    LAMA = "lama", "Cara lama: kelurahan tanpa ekstrak Dukcapil"


class RowStatus(LabelledEnum):
    """The one outcome of validating a recipient-list row."""

    VALID = "valid", "Valid"
    NIK_TIDAK_ADA = "nik_tidak_ada", "NIK tidak ada di data penduduk"
    NAMA_BERBEDA = "nama_berbeda", "Nama berbeda"
    KELURAHAN_LAIN = "kelurahan_lain", "Tinggal di kelurahan lain"
    LUAR_KOTA = "luar_kota", "Tidak ada di data penduduk kota"
    MENINGGAL = "meninggal", "Meninggal"
    PINDAH = "pindah", "Pindah"
    GANDA = "ganda", "Muncul dua kali di daftar"
    KK_BERBEDA = "kk_berbeda", "KK tidak sesuai data penduduk"
    PROGRAM_BENTROK = "program_bentrok", "Baris memuat dua program yang tidak boleh ganda"
    PROGRAM_EKSKLUSIF = "program_eksklusif", "Sudah menerima program yang tidak boleh ganda"
    TIDAK_MEMENUHI = "tidak_memenuhi", "Tidak memenuhi kriteria program"
    BELUM_TERCATAT = "belum_tercatat", "Data kriteria belum tercatat"
    TIDAK_TERBACA = "tidak_terbaca", "Baris tidak dapat dibaca"


class Review(LabelledEnum):
    """Where a row stands in the one-by-one verification."""

    TIDAK_PERLU = "tidak_perlu", "Tidak perlu verifikasi"
    USULAN = "usulan", "Cocok kuat: diusulkan untuk konfirmasi massal"
    ANTRE = "antre", "Menunggu verifikasi"
    TINJAU_ULANG = "tinjau_ulang", "Perlu ditinjau ulang: dasar keputusan berubah"
    SELESAI = "selesai", "Sudah diputuskan"


class Decision(LabelledEnum):
    """An operator's decision on a row in the verification queue."""

    KONFIRMASI = "konfirmasi", "Ini warga tersebut (NIK dibetulkan)"
    BUKAN = "bukan", "Bukan warga ini"
    SURVEI = "survei", "Kirim ke survei lapangan"
    TOLAK = "tolak", "Ditolak"
    KONFIRMASI_MASSAL = "konfirmasi_massal", "Dikonfirmasi massal"
    # Written by a re-validation, not an operator: the decision above no longer holds.
    TINJAU_ULANG = "tinjau_ulang", "Perlu ditinjau ulang (validasi ulang)"


class CandidateKind(LabelledEnum):
    """Why a resident is a candidate for a row whose NIK was not found."""

    SATU_DIGIT = "satu_digit", "NIK beda satu angka"
    TERTUKAR = "tertukar", "Dua angka NIK tertukar"
    NAMA_LAHIR = "nama_lahir", "Nama dan tanggal lahir sama, NIK lain"


ROW_STATUSES = RowStatus.labels()
REVIEWS = Review.labels()
# Rows waiting for an operator's decision.
OPEN_REVIEWS = (Review.USULAN, Review.ANTRE, Review.TINJAU_ULANG)
DECISIONS = Decision.labels()
CANDIDATE_KINDS = CandidateKind.labels()
SOURCE_KINDS = SourceKind.labels()


class SandingRow(db.Model):
    """One row of a recipient list, its status and reason, and the operator's decision."""

    __tablename__ = "sanding_row"
    __table_args__ = (
        sa.Index("ix_sanding_row_refresh_status", "refresh_id", "status"),
        sa.Index("ix_sanding_row_kelurahan_review", "kelurahan_id", "review"),
        sa.Index("ix_sanding_row_person", "person_id"),
        sa.Index("ix_sanding_row_refresh_nik", "refresh_id", "nik"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    refresh_id: Mapped[int] = mapped_column(sa.ForeignKey("refresh.id", ondelete="CASCADE"))
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"))
    sheet: Mapped[str] = mapped_column(sa.String(60), default="")
    row_number: Mapped[int]
    nik: Mapped[str | None] = mapped_column(sa.String(20))
    # The NIK as the list had it, when an operator corrected it to the resident's.
    original_nik: Mapped[str | None] = mapped_column(sa.String(20))
    kk: Mapped[str | None] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    birth_date: Mapped[date | None]
    birth_year: Mapped[int | None]
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    rt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rt.id"))
    programs: Mapped[str] = mapped_column(sa.String(120), default="")  # ",PKH,BST,"
    status: Mapped[str | None] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    # The resident the row is (by NIK, or as confirmed from a candidate).
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    identity_confirmed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    best_score: Mapped[int | None]
    review: Mapped[str] = mapped_column(sa.String(12), default=Review.TIDAK_PERLU)
    decision: Mapped[str | None] = mapped_column(sa.String(20))
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    assignee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    survey_task_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_task.id", ondelete="SET NULL")
    )

    person: Mapped[Person | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    candidates: Mapped[list["SandingCandidate"]] = relationship(
        back_populates="row", order_by="SandingCandidate.score.desc()"
    )

    @property
    def status_label(self) -> str:
        return ROW_STATUSES.get(self.status or "", self.status or "")

    @property
    def program_codes(self) -> list[str]:
        return [code for code in self.programs.split(",") if code]

    @property
    def awaiting_decision(self) -> bool:
        """Whether the row waits in the verification queue."""
        return self.review in OPEN_REVIEWS


class SandingCandidate(db.Model):
    """A resident who may be the person a row meant, with the score of the match."""

    __tablename__ = "sanding_candidate"
    __table_args__ = (sa.UniqueConstraint("row_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    row_id: Mapped[int] = mapped_column(sa.ForeignKey("sanding_row.id", ondelete="CASCADE"))
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(sa.String(12))
    score: Mapped[int]

    row: Mapped[SandingRow] = relationship(back_populates="candidates")
    person: Mapped[Person] = relationship()

    @property
    def kind_label(self) -> str:
        return CANDIDATE_KINDS.get(self.kind, self.kind)


class SandingDecision(db.Model):
    """Every decision taken on a row: who, when, what and why (the row keeps the last)."""

    __tablename__ = "sanding_decision"
    __table_args__ = (sa.Index("ix_sanding_decision_kelurahan_at", "kelurahan_id", "decided_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    row_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sanding_row.id", ondelete="CASCADE"), index=True
    )
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decision: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    decided_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    user: Mapped[User | None] = relationship()


class ProgramExclusion(db.Model):
    """Two program codes no one may receive at the same time (set by an admin, city-wide)."""

    __tablename__ = "program_exclusion"
    __table_args__ = (
        sa.UniqueConstraint("code_a", "code_b"),
        sa.CheckConstraint("code_a < code_b", name="ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code_a: Mapped[str] = mapped_column(sa.String(20))
    code_b: Mapped[str] = mapped_column(sa.String(20))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


# Candidate search blocks residents by birth date across the city.
sa.Index("ix_person_birth_date", Person.birth_date)
