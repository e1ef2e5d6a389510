"""The drill-down lists behind a preview's counts: one query per kind, rows by column name.

Each list declares its columns; a column marked masked shows NIKs masked whatever its
label says, and a hidden column (an id the page links with) is never shown.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.identity import mask_nik
from nutera.models import AidProgram, Refresh, Rt, Rw
from nutera.pagination import Page, paginate_rows
from nutera.refresh import diff
from nutera.refresh.tables import ENROLLMENT, HOUSEHOLD, PERSON, ROW

PER_PAGE = 50


class DetailKind(StrEnum):
    DITOLAK = "ditolak"
    BARU = "baru"
    BERUBAH = "berubah"
    KK_BARU = "kk_baru"
    KK_BERUBAH = "kk_berubah"
    ABSEN = "absen"
    PROGRAM_TAMBAH = "program_tambah"
    PROGRAM_AKHIR = "program_akhir"
    KONFLIK = "konflik"
    KONFLIK_KK = "konflik_kk"
    DUPLIKAT = "duplikat"


@dataclass(frozen=True)
class Column:
    """A column of a drill-down list: its row key, its header, and how it is shown."""

    name: str
    label: str
    masked: bool = False  # a NIK: masked in the list (staff open the record for the number)
    hidden: bool = False  # an id the page needs for links and forms, not a column to show


@dataclass(frozen=True)
class Context:
    """What every list query may need about the refresh being previewed."""

    session: Session
    refresh: Refresh
    since: datetime | None  # the kelurahan's previous refresh: conflicts are verified after


# A query builder answers the SELECT whose labels are its columns' names (None: no rows).
Query = Callable[[Context], sa.Select | None]


@dataclass(frozen=True)
class Detail:
    title: str
    columns: tuple[Column, ...]
    query: Query


@dataclass
class DetailPage(Page):
    """One page of a drill-down list: items are dicts keyed by column name."""

    kind: str = ""
    columns: tuple[Column, ...] = ()

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.items

    @property
    def shown(self) -> list[Column]:
        return [c for c in self.columns if not c.hidden]


def _registry_and_file(field: str, label: str) -> tuple[Column, Column]:
    return Column(f"registry_{field}", f"{label} (registri)"), Column(
        f"file_{field}", f"{label} (berkas)"
    )


def _rt_rw(rt_id_column, prefix: str = "d_"):
    """(join function, RT number, RW number) of an RT id column."""
    rt, rw = Rt.__table__.alias(f"{prefix}rt"), Rw.__table__.alias(f"{prefix}rw")

    def join(base):
        return base.outerjoin(rt, rt.c.id == rt_id_column).outerjoin(rw, rw.c.id == rt.c.rw_id)

    return join, rt.c.number, rw.c.number


def _rejected(ctx: Context) -> sa.Select:
    return diff.rejected_in_file_order(
        ctx.refresh.id,
        ROW.c.sheet.label("sheet"),
        ROW.c.row_number.label("row_number"),
        ROW.c.name.label("name"),
        ROW.c.error.label("error"),
    )


def _new_persons(ctx: Context) -> sa.Select:
    join, rt, rw = _rt_rw(ROW.c.rt_id)
    return (
        sa.select(
            ROW.c.row_number,
            ROW.c.nik,
            ROW.c.name,
            ROW.c.kk,
            rt.label("rt"),
            rw.label("rw"),
        )
        .select_from(join(ROW))
        .where(diff.valid_rows(ctx.refresh.id), ROW.c.person_id.is_(None))
        .order_by(ROW.c.id)
    )


def _changed_persons(ctx: Context, verified_since: bool = False) -> sa.Select:
    changed = sa.or_(*(diff.person_field_changed(f) for f in diff.PERSON_FIELDS))
    if verified_since:
        changed = sa.and_(changed, diff.verified_since(PERSON.c.verified_at, ctx.since))
    compared = []
    for field in diff.PERSON_FIELDS:
        compared += [
            PERSON.c[field].label(f"registry_{field}"),
            ROW.c[field].label(f"file_{field}"),
        ]
    return (
        sa.select(
            PERSON.c.id.label("person_id"),
            ROW.c.nik,
            *compared,
            PERSON.c.verified_at,
        )
        .select_from(ROW.join(PERSON, PERSON.c.id == ROW.c.person_id))
        .where(diff.valid_rows(ctx.refresh.id), changed)
        .order_by(ROW.c.id)
    )


def _new_households(ctx: Context) -> sa.Select:
    join, rt, rw = _rt_rw(ROW.c.rt_id)
    return (
        sa.select(ROW.c.kk, ROW.c.address, rt.label("rt"), rw.label("rw"))
        .select_from(join(ROW))
        .where(diff.first_rows(ctx.refresh), ROW.c.household_id.is_(None))
        .order_by(ROW.c.id)
    )


def _changed_households(ctx: Context, *columns, join=None, verified_since=False) -> sa.Select:
    """Matched households whose address or RT differs in the file (first row of each KK)."""
    base = ROW.join(HOUSEHOLD, HOUSEHOLD.c.id == ROW.c.household_id)
    where = [diff.first_rows(ctx.refresh), diff.household_changes(ctx.refresh)]
    if verified_since:
        where.append(diff.verified_since(HOUSEHOLD.c.verified_at, ctx.since))
    return (
        sa.select(*columns, HOUSEHOLD.c.verified_at)
        .select_from(join(base) if join else base)
        .where(*where)
        .order_by(ROW.c.id)
    )


# The KK and its address in the registry and in the file.
_KK_ADDRESS = (
    HOUSEHOLD.c.kk_number.label("kk"),
    HOUSEHOLD.c.address.label("registry_address"),
    ROW.c.address.label("file_address"),
)


def _households_compared(ctx: Context) -> sa.Select:
    rt_ids = HOUSEHOLD.c.rt_id.label("registry_rt_id"), ROW.c.rt_id.label("file_rt_id")
    return _changed_households(ctx, *_KK_ADDRESS, *rt_ids)


def _household_conflicts(ctx: Context) -> sa.Select:
    join_now, now_rt, now_rw = _rt_rw(HOUSEHOLD.c.rt_id, "now_")
    join_new, new_rt, new_rw = _rt_rw(ROW.c.rt_id, "new_")
    return _changed_households(
        ctx,
        HOUSEHOLD.c.id.label("household_id"),
        *_KK_ADDRESS,
        now_rt.label("registry_rt"),
        now_rw.label("registry_rw"),
        new_rt.label("file_rt"),
        new_rw.label("file_rw"),
        join=lambda base: join_new(join_now(base)),
        verified_since=True,
    )


def _absent(ctx: Context) -> sa.Select:
    postgres = diff.is_postgres(ctx.session)
    return (
        sa.select(PERSON.c.nik, PERSON.c.name, HOUSEHOLD.c.kk_number.label("kk"))
        .select_from(PERSON.outerjoin(HOUSEHOLD, HOUSEHOLD.c.id == PERSON.c.household_id))
        .where(PERSON.c.id.in_(diff.absent_persons(ctx.refresh, postgres)))
        .order_by(PERSON.c.id)
    )


def _programs(ctx: Context) -> list[AidProgram]:
    if not ctx.refresh.mapping.get("programs"):
        return []
    return list(
        ctx.session.scalars(
            sa.select(AidProgram).where(
                AidProgram.kelurahan_id == ctx.refresh.kelurahan_id,
                AidProgram.active.is_(True),
            )
        )
    )


def _union(parts: list[sa.Select]) -> sa.Select | None:
    if not parts:
        return None
    return sa.select(sa.union_all(*parts).subquery())


def _enrollments_added(ctx: Context) -> sa.Select | None:
    parts = []
    for program in _programs(ctx):
        adding = diff.enrollments_to_add(ctx.refresh, program).subquery()
        parts.append(
            sa.select(sa.literal(program.code).label("program"), adding.c[0].label("beneficiary"))
        )
    return _union(parts)


def _enrollments_ended(ctx: Context) -> sa.Select | None:
    postgres = diff.is_postgres(ctx.session)
    parts = [
        sa.select(
            sa.literal(program.code).label("program"),
            sa.func.coalesce(HOUSEHOLD.c.kk_number, PERSON.c.nik).label("beneficiary"),
        )
        .select_from(
            ENROLLMENT.outerjoin(HOUSEHOLD, HOUSEHOLD.c.id == ENROLLMENT.c.household_id).outerjoin(
                PERSON, PERSON.c.id == ENROLLMENT.c.person_id
            )
        )
        .where(ENROLLMENT.c.id.in_(diff.enrollments_to_end(ctx.refresh, program, postgres)))
        for program in _programs(ctx)
    ]
    return _union(parts)


def _duplicates(ctx: Context) -> sa.Select:
    other = PERSON.alias("other")
    pairs = diff.same_name_and_birth(ctx.refresh).subquery()
    in_file = diff.same_name_in_file(ctx.refresh).subquery()
    renamed = diff.same_nik_other_name(ctx.refresh).subquery()
    row = (
        ROW.c.id.label("row_id"),
        ROW.c.row_number,
        ROW.c.nik,
        ROW.c.name,
        ROW.c.birth_date,
    )
    rows = sa.union_all(
        sa.select(*row, other.c.nik.label("note"), ROW.c.skip).select_from(
            pairs.join(ROW, ROW.c.id == pairs.c.row_id).join(
                other, other.c.id == pairs.c.person_id
            )
        ),
        sa.select(*row, sa.literal("(di berkas ini)"), ROW.c.skip)
        .join(
            in_file,
            sa.and_(in_file.c.name == ROW.c.name, in_file.c.birth_date == ROW.c.birth_date),
        )
        .where(diff.valid_rows(ctx.refresh.id)),
        sa.select(
            *row, sa.literal("NIK sama, nama di registri: ") + PERSON.c.name, ROW.c.skip
        ).select_from(
            renamed.join(ROW, ROW.c.id == renamed.c.row_id).join(
                PERSON, PERSON.c.id == renamed.c.person_id
            )
        ),
    ).subquery()
    return sa.select(rows).order_by(rows.c.row_number)


NIK = Column("nik", "NIK", masked=True)
ROW_NUMBER = Column("row_number", "Baris")
NAME = Column("name", "Nama")
KK = Column("kk", "No. KK")
RT, RW = Column("rt", "RT"), Column("rw", "RW")
VERIFIED = Column("verified_at", "Diverifikasi")
PERSON_COMPARED = (
    Column("person_id", "id", hidden=True),
    NIK,
    *_registry_and_file("name", "Nama"),
    *_registry_and_file("sex", "JK"),
    *_registry_and_file("birth_date", "Lahir"),
    *_registry_and_file("household_id", "KK"),
    VERIFIED,
)
PROGRAM_COLUMNS = (Column("program", "Program"), Column("beneficiary", "No. KK / NIK"))

DETAILS: dict[str, Detail] = {
    DetailKind.DITOLAK: Detail(
        "Baris ditolak",
        (Column("sheet", "Lembar"), ROW_NUMBER, NAME, Column("error", "Alasan")),
        _rejected,
    ),
    DetailKind.BARU: Detail("Warga baru", (ROW_NUMBER, NIK, NAME, KK, RT, RW), _new_persons),
    DetailKind.BERUBAH: Detail("Data warga berubah", PERSON_COMPARED, _changed_persons),
    DetailKind.KK_BARU: Detail(
        "KK baru", (KK, Column("address", "Alamat"), RT, RW), _new_households
    ),
    DetailKind.KK_BERUBAH: Detail(
        "KK berubah (alamat, RT/RW)",
        (
            KK,
            *_registry_and_file("address", "Alamat"),
            *_registry_and_file("rt_id", "RT id"),
            VERIFIED,
        ),
        _households_compared,
    ),
    DetailKind.ABSEN: Detail("Tidak ada di berkas (pindah? meninggal?)", (NIK, NAME, KK), _absent),
    DetailKind.PROGRAM_TAMBAH: Detail(
        "Kepesertaan program ditambah", PROGRAM_COLUMNS, _enrollments_added
    ),
    DetailKind.PROGRAM_AKHIR: Detail(
        "Kepesertaan program diakhiri", PROGRAM_COLUMNS, _enrollments_ended
    ),
    DetailKind.KONFLIK: Detail(
        "Warga bertentangan dengan survei terverifikasi",
        PERSON_COMPARED,
        lambda ctx: _changed_persons(ctx, verified_since=True),
    ),
    DetailKind.KONFLIK_KK: Detail(
        "KK bertentangan dengan survei terverifikasi",
        (
            Column("household_id", "id", hidden=True),
            KK,
            *_registry_and_file("address", "Alamat"),
            *_registry_and_file("rt", "RT"),
            *_registry_and_file("rw", "RW"),
            VERIFIED,
        ),
        _household_conflicts,
    ),
    DetailKind.DUPLIKAT: Detail(
        "Kemungkinan data ganda",
        (
            Column("row_id", "row_id", hidden=True),
            ROW_NUMBER,
            NIK,
            NAME,
            Column("birth_date", "Tgl lahir"),
            Column("note", "Catatan"),
            Column("skip", "Dilewati"),
        ),
        _duplicates,
    ),
}


def shown_value(column: Column, value: Any) -> Any:
    """A cell as the list shows it: NIKs of a masked column masked."""
    if column.masked and isinstance(value, str) and len(value) == 16:
        return mask_nik(value)
    return value


def detail_page(session: Session, refresh: Refresh, kind: str, page: int = 1) -> DetailPage:
    """One page of the rows behind one preview count (KeyError for an unknown kind)."""
    detail = DETAILS[kind]
    since = diff.last_refresh_at(session, refresh.kelurahan_id, before=refresh)
    query = detail.query(Context(session, refresh, since))
    columns = detail.columns

    def named(row) -> dict[str, Any]:
        values = row._mapping
        return {c.name: shown_value(c, values[c.name]) for c in columns}

    if query is None:
        return DetailPage([], 0, max(1, page), PER_PAGE, kind, columns)
    found = paginate_rows(session, query, page, PER_PAGE, named)
    return DetailPage(found.items, found.total, found.page, PER_PAGE, kind, columns)
