"""Create a kelurahan from its Kemendagri code: name, kecamatan and kota come from the list."""

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera import regions
from nutera.models import Kelurahan, Rt, Rw
from nutera.timeutil import ZONE_NAMES


class RegionError(ValueError):
    """A kelurahan that cannot be created; the message is Indonesian and names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class KelurahanInput:
    """What staff type: the code, and what the list does not hold."""

    code: str
    kode_pos: str = ""
    time_zone: str = ""  # empty: the province's
    rts_per_rw: str = ""  # "5,5,4": RW 01 has 5 RTs, RW 02 5, RW 03 4


def lookup(code: str) -> regions.Village:
    """The village of a 10-digit code as typed (dots allowed), or raise RegionError."""
    digits = re.sub(r"[\s.]", "", code or "")
    if not re.fullmatch(r"\d{10}", digits):
        raise RegionError("code", "Kode Kemendagri terdiri dari 10 digit, mis. 32.73.09.1002.")
    village = regions.village(digits)
    if village is None:
        raise RegionError(
            "code",
            f"Kode {digits[:2]}.{digits[2:4]}.{digits[4:6]}.{digits[6:]} tidak ada di daftar "
            "kelurahan/desa Kemendagri.",
        )
    return village


def _rt_counts(text: str) -> list[int]:
    parts = [p for p in re.split(r"[,;\s]+", text or "") if p]
    if not all(p.isdigit() and 1 <= int(p) <= 99 for p in parts) or len(parts) > 99:
        raise RegionError(
            "rts_per_rw", "Tulis jumlah RT tiap RW dipisah koma, mis. 5,5,4 (1-99 per RW)."
        )
    return [int(p) for p in parts]


def create_kelurahan(session: Session, data: KelurahanInput) -> Kelurahan:
    """A new kelurahan named from the list, with its RWs and RTs (raises RegionError)."""
    village = lookup(data.code)
    if session.scalar(sa.select(Kelurahan.id).where(Kelurahan.code == village.code)):
        raise RegionError("code", f"Kelurahan {village.name} ({village.code}) sudah terdaftar.")
    if data.kode_pos and not re.fullmatch(r"\d{5}", data.kode_pos):
        raise RegionError("kode_pos", "Kode pos terdiri dari 5 digit.")
    if data.time_zone and data.time_zone not in ZONE_NAMES:
        raise RegionError("time_zone", "Zona waktu harus WIB, WITA atau WIT.")
    counts = _rt_counts(data.rts_per_rw)
    kelurahan = Kelurahan(
        code=village.code,
        name=village.name,
        kecamatan=village.district,
        kota=village.regency,
        kode_pos=data.kode_pos or "",
        time_zone=data.time_zone or None,
    )
    session.add(kelurahan)
    session.flush()
    for rw_number, rt_count in enumerate(counts, start=1):
        rw = Rw(kelurahan_id=kelurahan.id, number=rw_number)
        session.add(rw)
        session.flush()
        session.add_all(
            Rt(kelurahan_id=kelurahan.id, rw_id=rw.id, number=n) for n in range(1, rt_count + 1)
        )
    session.flush()
    return kelurahan
