"""The review list of targeting cases, filtered and paginated, and its XLSX export."""

from typing import Any

import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import (
    TARGETING_DECISIONS,
    TARGETING_KINDS,
    AidProgram,
    Household,
    Kelurahan,
    Person,
    Rt,
    Rw,
    TargetingCase,
    User,
)
from nutera.pagination import paginate_rows
from nutera.scoping import scoped_select
from nutera.spreadsheet import Column, Kind, xlsx_bytes
from nutera.timeutil import zone_of

SOURCES = {
    "aturan": "Aturan",
    "sanggah": "Sanggahan warga",
    "usul": "Usulan warga",
    "petugas": "Petugas",
}


def case_select(viewer: User, program: AidProgram, filters: dict[str, Any]) -> sa.Select:
    """Cases of a program the viewer may see, with RT/RW, KK and the head's name."""
    subject = sa.orm.aliased(Person)
    household_id = sa.func.coalesce(TargetingCase.household_id, subject.household_id)
    head = (
        sa.select(sa.func.min(Person.name))
        .where(Person.household_id == household_id, Person.relation == "kepala")
        .scalar_subquery()
    )
    stmt = (
        scoped_select(TargetingCase, viewer)
        .add_columns(
            Rw.number.label("rw"),
            Rt.number.label("rt"),
            Household.kk_number,
            head.label("head_name"),
            subject.name.label("person_name"),
            User.full_name.label("decided_by"),
        )
        .join(subject, subject.id == TargetingCase.person_id, isouter=True)
        .join(Household, Household.id == household_id, isouter=True)
        .join(Rt, Rt.id == Household.rt_id, isouter=True)
        .join(Rw, Rw.id == Rt.rw_id, isouter=True)
        .join(User, User.id == TargetingCase.decided_by_id, isouter=True)
        .where(TargetingCase.program_id == program.id)
    )
    if filters.get("rw"):
        stmt = stmt.where(Rw.number == filters["rw"])
    if filters.get("rt"):
        stmt = stmt.where(Rt.number == filters["rt"])
    for key in ("kind", "decision", "source"):
        if filters.get(key):
            stmt = stmt.where(getattr(TargetingCase, key) == filters[key])
    return stmt.order_by(Rw.number, Rt.number, TargetingCase.kind, TargetingCase.id)


def case_page(
    viewer: User, program: AidProgram, filters: dict[str, Any], page: int, per_page: int = 25
):
    """One page of the review list (rows of case and its RT/RW/KK/head columns)."""
    found = paginate_rows(db.session, case_select(viewer, program, filters), page, per_page)
    return found.items, found.total


def case_counts(viewer: User, program: AidProgram) -> dict[str, int]:
    """Cases per kind, in one query."""
    rows = db.session.execute(
        scoped_select(TargetingCase, viewer)
        .with_only_columns(TargetingCase.kind, sa.func.count())
        .where(TargetingCase.program_id == program.id)
        .group_by(TargetingCase.kind)
    )
    return {kind: n for kind, n in rows}


COLUMNS = [
    Column("No", Kind.NUMBER),
    Column("RW", Kind.NUMBER),
    Column("RT", Kind.NUMBER),
    Column("Nomor KK", Kind.ID, min_width=18),
    Column("Kepala keluarga"),
    Column("Penerima (perorangan)"),
    Column("Jenis", labels=TARGETING_KINDS),
    Column("Penjelasan", min_width=40),
    Column("Sumber", labels=SOURCES),
    Column("Keputusan", labels=TARGETING_DECISIONS),
    Column("Alasan keputusan"),
    Column("Diputuskan oleh"),
    Column("Waktu keputusan", Kind.TIME),
]


def export_xlsx(viewer: User, program: AidProgram, filters: dict[str, Any]) -> bytes:
    """The review list as an XLSX sheet for the musyawarah kelurahan (KK numbers as text)."""
    result = db.session.execute(
        case_select(viewer, program, filters).execution_options(yield_per=500)
    )
    rows = (
        [
            n,
            row.rw,
            row.rt,
            row.kk_number,
            row.head_name,
            row.person_name,
            row[0].kind,
            row[0].explanation,
            row[0].source,
            row[0].decision,
            row[0].decision_reason,
            row.decided_by,
            row[0].decided_at,
        ]
        for n, row in enumerate(result, start=1)
    )
    kelurahan = db.session.get(Kelurahan, program.kelurahan_id)
    return xlsx_bytes(program.code, COLUMNS, rows, zone_of(kelurahan))
