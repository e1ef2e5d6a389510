"""Workbooks sent back to the kelurahan, written row by row with XlsxWriter (constant memory)."""

from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
import xlsxwriter
from sqlalchemy.orm import Session

from nutera.models import (
    PERSON_STATUSES,
    TARGETING_DECISIONS,
    AidProgram,
    Household,
    Person,
    PersonStatus,
    Refresh,
    RefreshRow,
    Rt,
    Rw,
    TargetingCase,
    TargetingDecision,
)
from nutera.refresh.diff import last_refresh_at, rejected_in_file_order
from nutera.refresh.states import RefreshStatus

EXPORT_SHEETS = {
    "survey_households": "Survei KK terverifikasi",
    "survey_persons": "Survei warga terverifikasi",
    "targeting": "Usulan tambah-hapus",
    "moved": "Pindah-meninggal",
    "rejected": "Baris ditolak",
}
STREAM = {"yield_per": 2000}


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    return value


class _Sheets:
    """Writes sheets of a constant-memory workbook, NIK and KK as text."""

    def __init__(self, target: str | Path | IO[bytes]):
        self.book = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "in_memory": not isinstance(target, (str, Path)),
            },
        )
        self.bold = self.book.add_format({"bold": True, "bg_color": "#D9EAD3"})

    def write(
        self,
        title: str,
        headers: list[str],
        rows: Iterable[Iterable[Any]],
        tick: Callable[[], None] = lambda: None,
    ) -> int:
        sheet = self.book.add_worksheet(title[:31])
        sheet.write_row(0, 0, headers, self.bold)
        sheet.freeze_panes(1, 0)
        count = 0
        for count, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                value = _cell(value)
                if isinstance(value, str):
                    sheet.write_string(count, column, value)
                elif value is not None:
                    sheet.write(count, column, value)
            if count % 1000 == 0:
                tick()
        return count

    def close(self) -> None:
        self.book.close()


def rejected_rows_report(session: Session, refresh: Refresh, target) -> int:
    """The rejected rows with their original cells and a reason column, to send back."""
    sheets = _Sheets(target)
    headers = refresh.layout["sheets"][0]["headers"] if refresh.layout.get("sheets") else []
    rows = session.execute(
        rejected_in_file_order(
            refresh.id, RefreshRow.sheet, RefreshRow.row_number, RefreshRow.raw, RefreshRow.error
        ).execution_options(**STREAM)
    )
    count = sheets.write(
        "Baris ditolak",
        ["Lembar", "Baris data"] + headers + ["Alasan"],
        (
            [s, n] + (raw or []) + [""] * (len(headers) - len(raw or [])) + [e]
            for s, n, raw, e in rows
        ),
    )
    sheets.close()
    return count


def _region(query: sa.Select, rt_column) -> sa.Select:
    return query.join(Rt, Rt.id == rt_column).join(Rw, Rw.id == Rt.rw_id)


def export_workbook(
    session: Session, kelurahan_id: int, target, tick: Callable[[], None] = lambda: None
) -> dict[str, int]:
    """The weekly workbook for the kelurahan; returns the row count of each sheet."""
    since = last_refresh_at(session, kelurahan_id)
    sheets = _Sheets(target)
    counts = {}

    def newer(column):
        return column.is_not(None) if since is None else column > since

    households = (
        _region(
            sa.select(
                Household.kk_number,
                Household.address,
                Rt.number,
                Rw.number,
                Household.ownership,
                Household.floor,
                Household.wall,
                Household.roof,
                Household.water_source,
                Household.toilet,
                Household.electricity_va,
                Household.verified_at,
            ),
            Household.rt_id,
        )
        .where(Household.kelurahan_id == kelurahan_id, newer(Household.verified_at))
        .order_by(Household.id)
        .execution_options(**STREAM)
    )
    counts["survey_households"] = sheets.write(
        EXPORT_SHEETS["survey_households"],
        [
            "No. KK",
            "Alamat",
            "RT",
            "RW",
            "Kepemilikan rumah",
            "Lantai",
            "Dinding",
            "Atap",
            "Sumber air",
            "Jamban",
            "Daya listrik (VA)",
            "Diverifikasi",
        ],
        session.execute(households),
        tick,
    )
    persons = (
        sa.select(
            Person.nik,
            Person.name,
            Household.kk_number,
            Person.sex,
            Person.birth_date,
            Person.occupation,
            Person.monthly_income,
            Person.disability,
            Person.is_asn_tni_polri,
            Person.has_ktp,
            Person.residence,
            Person.verified_at,
        )
        .outerjoin(Household, Household.id == Person.household_id)
        .where(Person.kelurahan_id == kelurahan_id, newer(Person.verified_at))
        .order_by(Person.id)
        .execution_options(**STREAM)
    )
    counts["survey_persons"] = sheets.write(
        EXPORT_SHEETS["survey_persons"],
        [
            "NIK",
            "Nama",
            "No. KK",
            "JK",
            "Tgl lahir",
            "Pekerjaan",
            "Penghasilan/bulan",
            "Disabilitas",
            "ASN/TNI/Polri",
            "Punya KTP",
            "Status tinggal",
            "Diverifikasi",
        ],
        session.execute(persons),
        tick,
    )
    cases = (
        sa.select(
            AidProgram.code,
            TargetingCase.decision,
            Household.kk_number,
            Person.nik,
            Person.name,
            TargetingCase.explanation,
            TargetingCase.decision_reason,
            TargetingCase.decided_at,
        )
        .join(AidProgram, AidProgram.id == TargetingCase.program_id)
        .outerjoin(Household, Household.id == TargetingCase.household_id)
        .outerjoin(Person, Person.id == TargetingCase.person_id)
        .where(
            TargetingCase.kelurahan_id == kelurahan_id,
            TargetingCase.decision.in_(
                (TargetingDecision.USUL_TAMBAH, TargetingDecision.USUL_HAPUS)
            ),
        )
        .order_by(TargetingCase.id)
        .execution_options(**STREAM)
    )
    counts["targeting"] = sheets.write(
        EXPORT_SHEETS["targeting"],
        ["Program", "Usulan", "No. KK", "NIK", "Nama", "Temuan", "Alasan keputusan", "Diputuskan"],
        (
            [code, TARGETING_DECISIONS.get(d, d), *rest]
            for code, d, *rest in session.execute(cases)
        ),
        tick,
    )
    moved = (
        sa.select(
            Person.nik, Person.name, Household.kk_number, Person.status, Person.status_changed_at
        )
        .outerjoin(Household, Household.id == Person.household_id)
        .where(
            Person.kelurahan_id == kelurahan_id,
            Person.status.in_((PersonStatus.PINDAH, PersonStatus.MENINGGAL)),
            Person.status_changed_at.is_not(None)
            if since is None
            else Person.status_changed_at > since,
        )
        .order_by(Person.id)
        .execution_options(**STREAM)
    )
    counts["moved"] = sheets.write(
        EXPORT_SHEETS["moved"],
        ["NIK", "Nama", "No. KK", "Status", "Sejak"],
        (
            [nik, name, kk, PERSON_STATUSES.get(s, s), at]
            for nik, name, kk, s, at in session.execute(moved)
        ),
        tick,
    )
    counts["rejected"] = sheets.write(
        EXPORT_SHEETS["rejected"],
        ["Sumber", "Berkas", "Lembar", "Baris data", "Isi baris asli", "Alasan"],
        (
            [source, filename, sheet, number, " ; ".join(str(c) for c in raw or []), error]
            for source, filename, sheet, number, raw, error in session.execute(
                _last_rejections(kelurahan_id).execution_options(**STREAM)
            )
        ),
        tick,
    )
    sheets.close()
    return counts


def _last_rejections(kelurahan_id: int) -> sa.Select:
    """Rejected rows of the newest file of each source (previewed or committed)."""
    newest = (
        sa.select(sa.func.max(Refresh.id))
        .where(
            Refresh.kelurahan_id == kelurahan_id,
            Refresh.status.in_((RefreshStatus.PRATINJAU, RefreshStatus.DITERAPKAN)),
        )
        .group_by(Refresh.source)
    )
    sheet_start = (
        sa.func.min(RefreshRow.id)
        .over(partition_by=(RefreshRow.refresh_id, RefreshRow.sheet))
        .label("sheet_start")
    )
    rows = (
        sa.select(
            Refresh.source,
            Refresh.filename,
            RefreshRow.sheet,
            RefreshRow.row_number,
            RefreshRow.raw,
            RefreshRow.error,
            sheet_start,
        )
        .join(
            Refresh,
            sa.and_(
                Refresh.id == RefreshRow.refresh_id,
                RefreshRow.id.between(Refresh.first_row_id, Refresh.last_row_id),
            ),
        )
        .where(Refresh.id.in_(newest), RefreshRow.error.is_not(None))
    ).subquery()
    # In file order within each source: sheets as staged, then row numbers.
    return sa.select(*(rows.c[i] for i in range(6))).order_by(
        rows.c.source, rows.c.sheet_start, rows.c.row_number
    )
