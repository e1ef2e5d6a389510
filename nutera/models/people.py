"""Households (KK) and the persons in them."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nutera.extensions import db
from nutera.models.base import TimestampMixin
from nutera.models.labels import LabelledEnum
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


class PersonStatus(LabelledEnum):
    HIDUP = "hidup", "Tinggal di sini"
    PINDAH = "pindah", "Pindah"
    MENINGGAL = "meninggal", "Meninggal"


class Residence(LabelledEnum):
    TETAP = "tetap", "Warga tetap"
    PENDATANG = "pendatang", "Pendatang (KTP luar daerah)"


PERSON_STATUSES = PersonStatus.labels()

# Where a living person stands: 'tetap' is a registered resident; 'pendatang' lives here
# (kos, kontrakan) with a KTP issued elsewhere and is often missing from every list.
RESIDENCES = Residence.labels()

DISABILITIES = {
    "fisik": "Fisik",
    "netra": "Netra",
    "rungu_wicara": "Rungu/wicara",
    "intelektual": "Intelektual",
    "mental": "Mental/psikososial",
    "ganda": "Ganda",
}

HOUSE_OWNERSHIP = {
    "milik": "Milik sendiri",
    "sewa": "Sewa/kontrak",
    "kos": "Kos",
    "menumpang": "Menumpang",
    "dinas": "Rumah dinas",
}
FLOORS = {"keramik": "Keramik/ubin", "semen": "Semen", "kayu": "Kayu/papan", "tanah": "Tanah"}
WALLS = {
    "tembok": "Tembok",
    "setengah": "Setengah tembok",
    "kayu": "Kayu/papan",
    "bambu": "Bambu/anyaman",
}
ROOFS = {"genteng": "Genteng", "beton": "Beton", "seng": "Seng/asbes", "rumbia": "Ijuk/rumbia"}
WATER_SOURCES = {
    "pdam": "PDAM/ledeng",
    "sumur_bor": "Sumur bor/pompa",
    "sumur": "Sumur gali",
    "isi_ulang": "Air isi ulang/kemasan",
    "lainnya": "Lainnya",
}
TOILETS = {"sendiri": "Milik sendiri", "bersama": "Bersama/umum", "tidak_ada": "Tidak ada"}
# Household composition the program criteria ask about (PKH components).
MATERNITY = {"hamil": "Sedang hamil", "nifas": "Masa nifas (setelah melahirkan)"}
DISABILITY_SEVERITIES = {"ringan": "Ringan", "sedang": "Sedang", "berat": "Berat"}
SCHOOLING = {"ya": "Masih bersekolah", "tidak": "Tidak bersekolah"}


class HouseObservation:
    """Position and housing of a home: kept on a Household, recorded by a Survey.

    On a Household these are the values of the last verified survey (None: never surveyed).
    """

    latitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    gps_accuracy_m: Mapped[int | None]
    ownership: Mapped[str | None] = mapped_column(sa.String(12))
    floor: Mapped[str | None] = mapped_column(sa.String(12))
    wall: Mapped[str | None] = mapped_column(sa.String(12))
    roof: Mapped[str | None] = mapped_column(sa.String(12))
    water_source: Mapped[str | None] = mapped_column(sa.String(12))
    toilet: Mapped[str | None] = mapped_column(sa.String(12))
    electricity_va: Mapped[int | None]
    house_photo: Mapped[str | None] = mapped_column(sa.String(255))


class Household(TimestampMixin, HouseObservation, db.Model):
    """A family registered on one Kartu Keluarga."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    rt_id: Mapped[int] = mapped_column(sa.ForeignKey("rt.id"), index=True)
    kk_number: Mapped[str] = mapped_column(sa.String(16), unique=True)
    address: Mapped[str] = mapped_column(sa.String(255))
    kode_pos: Mapped[str] = mapped_column(sa.String(5))
    verified_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Welfare decile (desil 1-10) from a DTSEN/DTKS extract; None when no extract gave one.
    desil: Mapped[int | None] = mapped_column(sa.SmallInteger)
    # Last time a committed refresh carried this KK (the kelurahan's data confirmed it).
    refresh_confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

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
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household.id"), index=True)
    # NULL for a person recorded without any NIK (flagged, still counted).
    nik: Mapped[str | None] = mapped_column(sa.String(16), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    sex: Mapped[str] = mapped_column(sa.String(1))
    birth_date: Mapped[date]
    relation: Mapped[str] = mapped_column(sa.String(20), default="lainnya")
    status: Mapped[str] = mapped_column(sa.String(10), default=PersonStatus.HIDUP)
    status_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # What surveys record about a person (None: not known yet).
    occupation: Mapped[str | None] = mapped_column(sa.String(80))
    monthly_income: Mapped[int | None]  # rupiah per month
    disability: Mapped[str | None] = mapped_column(sa.String(20))
    is_asn_tni_polri: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    has_ktp: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    residence: Mapped[str] = mapped_column(
        sa.String(10), default=Residence.TETAP, server_default="tetap"
    )
    maternity: Mapped[str | None] = mapped_column(sa.String(8))  # MATERNITY key
    disability_severity: Mapped[str | None] = mapped_column(sa.String(8))
    in_school: Mapped[bool | None]
    verified_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    household: Mapped[Household | None] = relationship(back_populates="members")
