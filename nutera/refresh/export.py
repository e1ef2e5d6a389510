"""Workbooks sent back to the kelurahan, through the one spreadsheet writer (constant memory)."""

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import (
    DISABILITIES,
    FLOORS,
    HOUSE_OWNERSHIP,
    PERSON_STATUSES,
    RESIDENCES,
    ROOFS,
    SEXES,
    TARGETING_DECISIONS,
    TOILETS,
    WALLS,
    WATER_SOURCES,
    AidProgram,
    Household,
    Kelurahan,
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
from nutera.spreadsheet import Column, Kind, Workbook
from nutera.timeutil import zone_of

EXPORT_SHEETS = {
    "survey_households": "Survei KK terverifikasi",
    "survey_persons": "Survei warga terverifikasi",
    "targeting": "Usulan tambah-hapus",
    "moved": "Pindah-meninggal",
    "rejected": "Baris ditolak",
}
STREAM = {"yield_per": 2000}
HOUSEHOLD_COLUMNS = [
    Column("No. KK", Kind.ID, min_width=18),
    Column("Alamat"),
    Column("RT", Kind.NUMBER),
    Column("RW", Kind.NUMBER),
    Column("Kepemilikan rumah", labels=HOUSE_OWNERSHIP),
    Column("Lantai", labels=FLOORS),
    Column("Dinding", labels=WALLS),
    Column("Atap", labels=ROOFS),
    Column("Sumber air", labels=WATER_SOURCES),
    Column("Jamban", labels=TOILETS),
    Column("Daya listrik (VA)", Kind.NUMBER),
    Column("Diverifikasi", Kind.TIME),
]
PERSON_COLUMNS = [
    Column("NIK", Kind.ID, min_width=18),
    Column("Nama"),
    Column("No. KK", Kind.ID, min_width=18),
    Column("Jenis kelamin", labels=SEXES),
    Column("Tgl lahir", Kind.DATE),
    Column("Pekerjaan"),
    Column("Penghasilan/bulan", Kind.MONEY),
    Column("Disabilitas", labels=DISABILITIES),
    Column("ASN/TNI/Polri", Kind.YES_NO),
    Column("Punya KTP", Kind.YES_NO),
    Column("Status tinggal", labels=RESIDENCES),
    Column("Diverifikasi", Kind.TIME),
]
TARGETING_COLUMNS = [
    Column("Program"),
    Column("Usulan", labels=TARGETING_DECISIONS),
    Column("No. KK", Kind.ID, min_width=18),
    Column("NIK", Kind.ID, min_width=18),
    Column("Nama"),
    Column("Temuan"),
    Column("Alasan keputusan"),
    Column("Diputuskan", Kind.TIME),
]
MOVED_COLUMNS = [
    Column("NIK", Kind.ID, min_width=18),
    Column("Nama"),
    Column("No. KK", Kind.ID, min_width=18),
    Column("Status", labels=PERSON_STATUSES),
    Column("Sejak", Kind.TIME),
]


def rejected_rows_report(session: Session, refresh: Refresh, target) -> int:
    """The rejected rows with their original cells and a reason column, to send back."""
    book = Workbook(target, _zone(session, refresh.kelurahan_id))
    headers = refresh.layout["sheets"][0]["headers"] if refresh.layout.get("sheets") else []
    rows = session.execute(
        rejected_in_file_order(
            refresh.id, RefreshRow.sheet, RefreshRow.row_number, RefreshRow.raw, RefreshRow.error
        ).execution_options(**STREAM)
    )
    count = book.write_sheet(
        "Baris ditolak",
        [Column("Lembar"), Column("Baris data", Kind.NUMBER)]
        + [Column(str(header)) for header in headers]  # the file's own cells, as text
        + [Column("Alasan")],
        (
            [s, n] + (raw or []) + [""] * (len(headers) - len(raw or [])) + [e]
            for s, n, raw, e in rows
        ),
    )
    book.close()
    return count


def _zone(session: Session, kelurahan_id: int) -> str:
    return zone_of(session.get(Kelurahan, kelurahan_id))


def _region(query: sa.Select, rt_column) -> sa.Select:
    return query.join(Rt, Rt.id == rt_column).join(Rw, Rw.id == Rt.rw_id)


def export_workbook(
    session: Session, kelurahan_id: int, target, tick: Callable[[], None] = lambda: None
) -> dict[str, int]:
    """The weekly workbook for the kelurahan; returns the row count of each sheet."""
    since = last_refresh_at(session, kelurahan_id)
    # Often built by a job, with no signed-in user to take the zone from.
    book = Workbook(target, _zone(session, kelurahan_id))
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
    counts["survey_households"] = book.write_sheet(
        EXPORT_SHEETS["survey_households"], HOUSEHOLD_COLUMNS, session.execute(households), tick
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
    counts["survey_persons"] = book.write_sheet(
        EXPORT_SHEETS["survey_persons"], PERSON_COLUMNS, session.execute(persons), tick
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
    counts["targeting"] = book.write_sheet(
        EXPORT_SHEETS["targeting"], TARGETING_COLUMNS, session.execute(cases), tick
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
    counts["moved"] = book.write_sheet(
        EXPORT_SHEETS["moved"], MOVED_COLUMNS, session.execute(moved), tick
    )
    counts["rejected"] = book.write_sheet(
        EXPORT_SHEETS["rejected"],
        [
            Column("Sumber"),
            Column("Berkas"),
            Column("Lembar"),
            Column("Baris data", Kind.NUMBER),
            Column("Isi baris asli"),
            Column("Alasan"),
        ],
        (
            [source, filename, sheet, number, " ; ".join(str(c) for c in raw or []), error]
            for source, filename, sheet, number, raw, error in session.execute(
                _last_rejections(kelurahan_id).execution_options(**STREAM)
            )
        ),
        tick,
    )
    book.close()
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
