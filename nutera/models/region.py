"""Administrative regions: kelurahan, RW and RT."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nutera.extensions import db
from nutera.regions import province_time_zone


class Kelurahan(db.Model):
    """An urban village; every other record belongs to one."""

    __tablename__ = "kelurahan"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(13), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kecamatan: Mapped[str] = mapped_column(sa.String(100))
    kota: Mapped[str] = mapped_column(sa.String(100))
    kode_pos: Mapped[str] = mapped_column(sa.String(5))
    # IANA zone; empty means the province's (WIB, WITA or WIT by the code's first digits).
    time_zone: Mapped[str | None] = mapped_column(sa.String(32))

    rws: Mapped[list["Rw"]] = relationship(back_populates="kelurahan", order_by="Rw.number")

    @property
    def time_zone_name(self) -> str:
        """The kelurahan's IANA time zone (its own, else its province's)."""
        return self.time_zone or province_time_zone(self.code or "")

    def __repr__(self) -> str:
        return f"<Kelurahan {self.code} {self.name}>"


class Rw(db.Model):
    """Rukun Warga: a neighbourhood unit inside a kelurahan."""

    __tablename__ = "rw"
    __table_args__ = (sa.UniqueConstraint("kelurahan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    number: Mapped[int]

    kelurahan: Mapped[Kelurahan] = relationship(back_populates="rws")
    rts: Mapped[list["Rt"]] = relationship(back_populates="rw", order_by="Rt.number")

    @property
    def label(self) -> str:
        """Display label such as 'RW 03'."""
        return f"RW {self.number:02d}"


class Rt(db.Model):
    """Rukun Tetangga: the smallest neighbourhood unit, inside an RW."""

    __tablename__ = "rt"
    __table_args__ = (sa.UniqueConstraint("rw_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    rw_id: Mapped[int] = mapped_column(sa.ForeignKey("rw.id"), index=True)
    number: Mapped[int]

    rw: Mapped[Rw] = relationship(back_populates="rts")

    @property
    def label(self) -> str:
        """Display label such as 'RT 02/RW 03'."""
        return f"RT {self.number:02d}/RW {self.rw.number:02d}"
