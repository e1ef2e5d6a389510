"""Read a recipient list's rows into sanding_row, leniently: a row is judged, not refused."""

from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera import changes
from nutera.identity import IdentityError, nik_birth_facts
from nutera.models import (
    Enrollment,
    Refresh,
    RowStatus,
    Rt,
    Rw,
    SandingCandidate,
    SandingDecision,
    SandingRow,
)
from nutera.models.api import ChangeKind
from nutera.refresh import rows
from nutera.refresh.staging import file_info
from nutera.refresh.states import Progress, no_progress
from nutera.refresh.validate import (
    identity_text,
    parse_date,
    place_date_text,
    program_list,
    rt_rw_numbers,
    whole_number,
)
from nutera.timeutil import local_today

BATCH = 5000
_DIGITS = str.maketrans("", "", " .-'")


def _rts(session: Session, kelurahan_id: int) -> dict[tuple[int, int], int]:
    query = (
        sa.select(Rw.number, Rt.number, Rt.id)
        .join(Rw, Rt.rw_id == Rw.id)
        .where(Rt.kelurahan_id == kelurahan_id)
    )
    return {(rw, rt): rt_id for rw, rt, rt_id in session.execute(query)}


def _identity(value: Any, label: str) -> tuple[str | None, str | None]:
    """(digits, None), or (text as given, why it cannot be used)."""
    try:
        text = identity_text(value, label).translate(_DIGITS)
    except IdentityError as error:
        return None, str(error)
    if not text:
        return None, f"{label} kosong."
    if len(text) != 16 or not text.isdigit():
        return text[:20], f"{label} harus 16 angka (tertulis {text[:20]})."
    return text, None


def _birth(cells: dict[str, Any], nik: str | None, today: date) -> date | None:
    raw = cells.get("birth_date")
    if raw in (None, "") and cells.get("birth_place_date") not in (None, ""):
        raw = place_date_text(cells["birth_place_date"])
    if raw not in (None, ""):
        try:
            return parse_date(raw)
        except ValueError:
            pass
    if nik:  # the date the NIK encodes, when the list has no birth date column
        facts = nik_birth_facts(nik, today)
        return facts[1] if facts else None
    return None


def _rt_id(cells: dict[str, Any], rts: dict[tuple[int, int], int]) -> int | None:
    if cells.get("rt") not in (None, "") and cells.get("rw") not in (None, ""):
        rt, rw = whole_number(cells["rt"]), whole_number(cells["rw"])
    else:
        rt, rw = rt_rw_numbers(cells.get("rt_rw")) or (None, None)
    return rts.get((rw, rt)) if rt is not None and rw is not None else None


def parse_row(
    cells: list[Any],
    columns: dict[str, int],
    rts: dict[tuple[int, int], int],
    default_program: str,
    today: date,
) -> dict[str, Any]:
    """The staged values of one list row; an unusable NIK makes it tidak_terbaca."""
    found = {
        name: (cells[index].strip() if isinstance(cells[index], str) else cells[index])
        for name, index in columns.items()
        if index < len(cells)
    }
    nik, problem = _identity(found.get("nik"), "NIK")
    kk, _ = _identity(found.get("kk"), "Nomor KK")
    born = _birth(found, None if problem else nik, today)
    programs, _ = program_list(str(found.get("programs") or "").upper(), set())
    if default_program and f",{default_program}," not in programs:
        programs = (programs or ",") + default_program + ","
    name = " ".join(str(found.get("name") or "").split())[:120]
    if not problem and not name:
        problem = "Nama kosong."
    return {
        "nik": nik,
        "kk": kk if kk and len(kk) == 16 else None,
        "name": name,
        "birth_date": born,
        "birth_year": born.year if born else None,
        "address": " ".join(str(found.get("address") or "").split())[:255],
        "rt_id": _rt_id(found, rts),
        "programs": programs[:120],
        "status": RowStatus.TIDAK_TERBACA if problem else None,
        "reason": problem or "",
    }


def stage_list(
    session: Session,
    refresh: Refresh,
    default_program: str = "",
    progress: Progress = no_progress,
) -> int:
    """Add the file's rows to the refresh (an earlier validation's rows stay until
    nutera/sanding/carryover.py has moved their review work); returns how many."""
    rts = _rts(session, refresh.kelurahan_id)
    today = local_today()
    info = file_info(refresh)
    batch: list[dict[str, Any]] = []
    count = 0
    base = {"refresh_id": refresh.id, "kelurahan_id": refresh.kelurahan_id}
    for sheet, columns, numbers, chunk in rows.data_chunks(
        Path(refresh.stored_path), info, refresh.mapping, rows.CHUNK
    ):
        for number, cells in zip(numbers, chunk, strict=False):
            values = parse_row(cells, columns, rts, default_program, today)
            batch.append({**base, "sheet": sheet.name[:60], "row_number": number, **values})
        if len(batch) >= BATCH:
            count += insert_rows(session, batch)
            progress(0.3, f"{count:,} baris dibaca".replace(",", "."))
    count += insert_rows(session, batch)
    return count


def insert_rows(session: Session, batch: list[dict[str, Any]]) -> int:
    """Insert a batch of staged list rows (one executemany) and empty the batch."""
    if not batch:
        return 0
    session.execute(sa.insert(SandingRow.__table__), batch)
    size = len(batch)
    batch.clear()
    return size


def clear_rows(session: Session, refresh_id: int, upto: int) -> None:
    """Delete the refresh's rows up to id upto, and what still points at them (the review
    work worth keeping has been moved to the new rows by then)."""
    mine = sa.select(SandingRow.id).where(
        SandingRow.refresh_id == refresh_id, SandingRow.id <= upto
    )
    changes.record_bulk(  # the enrolments lose their list row: the API shows it
        session,
        ChangeKind.ENROLLMENT,
        "update",
        sa.select(Enrollment.id, Enrollment.kelurahan_id).where(
            Enrollment.sanding_row_id.in_(mine)
        ),
    )
    session.execute(
        sa.update(Enrollment)
        .where(Enrollment.sanding_row_id.in_(mine))
        .values(sanding_row_id=None)
    )
    session.execute(sa.delete(SandingDecision).where(SandingDecision.row_id.in_(mine)))
    session.execute(sa.delete(SandingCandidate).where(SandingCandidate.row_id.in_(mine)))
    session.execute(
        sa.delete(SandingRow).where(SandingRow.refresh_id == refresh_id, SandingRow.id <= upto)
    )
