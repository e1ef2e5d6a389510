"""Households (KK) and the persons in them."""
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nutera.extensions import db
from nutera.models.base import TimestampMixin
from nutera.models.region import Rt

SEXES = {"L": "Laki-laki", "P": "Perempuan"}

RELATIONS = {
    "kepala": "Kepala keluarga",
    "istri": "Istri",
    "suami": "Suami",
    "anak": "Anak",
    "menantu": "Menantu",
    "cucu": "Cucu",
    "orang_tua": "Orang tua",
    "mertua": "Mertua",
    "famili": "Famili lain",
    "lainnya": "Lainnya",
}

PERSON_STATUSES = {"hidup": "Tinggal di sini", "pindah": "Pindah", "meninggal": "Meninggal"}


class Household(TimestampMixin, db.Model):
    """A family registered on one Kartu Keluarga."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    rt_id: Mapped[int] = mapped_column(sa.ForeignKey("rt.id"), index=True)
    kk_number: Mapped[str] = mapped_column(sa.String(16), unique=True)
    address: Mapped[str] = mapped_column(sa.String(255))
    kode_pos: Mapped[str] = mapped_column(sa.String(5))
    latitude: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(9, 6))
    longitude: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(9, 6))

    rt: Mapped[Rt] = relationship()
    members: Mapped[list["Person"]] = relationship(
        back_populates="household", order_by="Person.id"
    )


class Person(TimestampMixin, db.Model):
    """A resident identified by NIK."""

    __tablename__ = "person"
    __table_args__ = (
        sa.CheckConstraint("sex IN ('L', 'P')", name="sex"),
        sa.CheckConstraint("status IN ('hidup', 'pindah', 'meninggal')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    household_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("household.id"), index=True
    )
    nik: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    sex: Mapped[str] = mapped_column(sa.String(1))
    birth_date: Mapped[date]
    relation: Mapped[str] = mapped_column(sa.String(20), default="lainnya")
    status: Mapped[str] = mapped_column(sa.String(10), default="hidup")
    status_changed_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))

    household: Mapped[Optional[Household]] = relationship(back_populates="members")
