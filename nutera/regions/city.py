"""Setting up a city: every kelurahan of a kota from the Kemendagri list, then its RWs and
RTs from a small spreadsheet (one row per RW: kelurahan code, RW number, number of RTs)."""

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera import regions
from nutera.models import Kelurahan, Rt, Rw
from nutera.regions.services import RegionError

# Headers accepted for each column of the RW/RT sheet (lower case, spaces collapsed).
HEADERS = {
    "code": ("kode kelurahan", "kode", "kode kemendagri", "kelurahan"),
    "rw": ("rw", "nomor rw"),
    "rts": ("jumlah rt", "rt", "banyak rt"),
}
MAX_NUMBER = 99


@dataclass
class CityResult:
    """What add_city did: the kelurahan created and those already there."""

    regency: regions.Regency
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    skipped_desa: int = 0


def villages_of(regency_code: str) -> list[regions.Village]:
    """Every village the list has for a four-digit regency code, in code order."""
    codes = sorted(code for code in regions._villages() if code[:4] == regency_code)
    return [regions.village(code) for code in codes]


def add_city(session: Session, code: str) -> CityResult:
    """Create every kelurahan of the kota (or kabupaten) coded by four digits; kelurahan
    already registered are left as they are. Desa are not kelurahan and are skipped."""
    digits = re.sub(r"[\s.]", "", code or "")
    if not re.fullmatch(r"\d{4}", digits):
        raise RegionError("code", "Kode kota terdiri dari 4 digit, mis. 32.73 (Kota Bandung).")
    regency = regions.regency(digits)
    if regency is None or regency.retired or not regions.has_districts(digits):
        raise RegionError(
            "code",
            f"Kode {digits[:2]}.{digits[2:]} tidak ada di daftar kabupaten/kota Kemendagri.",
        )
    result = CityResult(regency)
    existing = set(
        session.scalars(sa.select(Kelurahan.code).where(Kelurahan.code.startswith(digits)))
    )
    rows = []
    for village in villages_of(digits):
        if village.kind != "Kelurahan":
            result.skipped_desa += 1
        elif village.code in existing:
            result.existing.append(village.code)
        else:
            rows.append(
                {
                    "code": village.code,
                    "name": village.name,
                    "kecamatan": village.district,
                    "kota": village.regency,
                    "kode_pos": "",
                    "time_zone": None,
                }
            )
            result.created.append(village.code)
    if rows:
        session.execute(sa.insert(Kelurahan), rows)
    session.flush()
    return result


@dataclass
class RtSheetResult:
    """What apply_rt_sheet did, per kelurahan, and the rows it refused."""

    kelurahan: int = 0
    rws_created: int = 0
    rts_created: int = 0
    errors: list[str] = field(default_factory=list)


def _normal(header: object) -> str:
    return " ".join(str(header or "").lower().replace("_", " ").split())


def read_sheet(data: bytes, filename: str) -> list[list[str]]:
    """The rows of a CSV (comma or semicolon) or XLSX file as text cells."""
    if Path(filename).suffix.lower() in (".xlsx", ".xls", ".ods"):
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            rows = book.get_sheet_by_index(0).to_python()
        except Exception as error:  # calamine raises its own types for a broken file
            raise RegionError("file", "Berkas XLSX tidak dapat dibaca.") from error
        return [[_cell(value) for value in row] for row in rows]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    dialect = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=dialect)]


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _columns(header: list[str]) -> dict[str, int]:
    found = {}
    normal = [_normal(h) for h in header]
    for key, names in HEADERS.items():
        for index, name in enumerate(normal):
            if name in names and index not in found.values():
                found[key] = index
                break
    missing = [HEADERS[key][0] for key in HEADERS if key not in found]
    if missing:
        raise RegionError(
            "file",
            "Baris 1: kolom tidak ditemukan: "
            + ", ".join(missing)
            + ". Judul kolom: kode kelurahan, rw, jumlah rt.",
        )
    return found


def _parse(rows: list[list[str]], known: dict[str, int]) -> tuple[dict, list[str]]:
    """{kelurahan id: {rw: rts}} and the refused rows, each named by row and column."""
    columns = _columns(rows[0] if rows else [])
    wanted: dict[int, dict[int, int]] = {}
    errors = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {key: (row[i].strip() if i < len(row) else "") for key, i in columns.items()}
        if not any(cells.values()):
            continue
        code = re.sub(r"[\s.]", "", cells["code"])
        if code not in known:
            errors.append(
                f"Baris {number}, kolom kode kelurahan: {cells['code'] or '(kosong)'} bukan "
                "kelurahan yang terdaftar."
            )
            continue
        bad = [
            key
            for key in ("rw", "rts")
            if not cells[key].isdigit() or not 1 <= int(cells[key]) <= MAX_NUMBER
        ]
        if bad:
            names = {"rw": "rw", "rts": "jumlah rt"}
            errors.extend(
                f"Baris {number}, kolom {names[key]}: isi angka 1-{MAX_NUMBER}, bukan "
                f"'{cells[key]}'."
                for key in bad
            )
            continue
        rws = wanted.setdefault(known[code], {})
        rw = int(cells["rw"])
        if rw in rws:
            errors.append(f"Baris {number}, kolom rw: RW {rw:02d} sudah disebut di baris lain.")
            continue
        rws[rw] = int(cells["rts"])
    return wanted, errors


def apply_rt_sheet(session: Session, rows: list[list[str]]) -> RtSheetResult:
    """Add the RWs and RTs the sheet names that are missing (nothing is removed: RTs already
    used by households stay). Refuses the whole sheet when any row is wrong."""
    known = dict(session.execute(sa.select(Kelurahan.code, Kelurahan.id)).all())
    wanted, errors = _parse(rows, known)
    result = RtSheetResult(errors=errors)
    if errors or not wanted:
        if not errors:
            result.errors.append("Berkas tidak berisi baris RW/RT.")
        return result
    ids = list(wanted)
    rw_ids = {
        (k, n): i
        for i, k, n in session.execute(
            sa.select(Rw.id, Rw.kelurahan_id, Rw.number).where(Rw.kelurahan_id.in_(ids))
        )
    }
    new_rws = [
        {"kelurahan_id": k, "number": n}
        for k, rws in wanted.items()
        for n in rws
        if (k, n) not in rw_ids
    ]
    if new_rws:
        session.execute(sa.insert(Rw), new_rws)
        rw_ids = {
            (k, n): i
            for i, k, n in session.execute(
                sa.select(Rw.id, Rw.kelurahan_id, Rw.number).where(Rw.kelurahan_id.in_(ids))
            )
        }
    have = {
        (rw_id, number)
        for rw_id, number in session.execute(
            sa.select(Rt.rw_id, Rt.number).where(Rt.kelurahan_id.in_(ids))
        )
    }
    new_rts = [
        {"kelurahan_id": k, "rw_id": rw_ids[(k, n)], "number": t}
        for k, rws in wanted.items()
        for n, count in rws.items()
        for t in range(1, count + 1)
        if (rw_ids[(k, n)], t) not in have
    ]
    if new_rts:
        session.execute(sa.insert(Rt), new_rts)
    session.flush()
    result.kelurahan, result.rws_created, result.rts_created = len(ids), len(new_rws), len(new_rts)
    return result
