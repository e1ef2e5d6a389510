"""The review list of targeting cases, filtered and paginated, and its XLSX export."""

import io
from typing import Any

import sqlalchemy as sa
import xlsxwriter

from nutera.extensions import db
from nutera.formatting import date_id
from nutera.models import (
    TARGETING_DECISIONS,
    TARGETING_KINDS,
    AidProgram,
    Household,
    Person,
    Rt,
    Rw,
    TargetingCase,
    User,
)
from nutera.pagination import paginate_rows
from nutera.scoping import scoped_select

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


HEADERS = [
    "No",
    "RW",
    "RT",
    "Nomor KK",
    "Kepala keluarga",
    "Penerima (perorangan)",
    "Jenis",
    "Penjelasan",
    "Sumber",
    "Keputusan",
    "Alasan keputusan",
    "Diputuskan oleh",
    "Waktu keputusan",
]


def export_xlsx(viewer: User, program: AidProgram, filters: dict[str, Any]) -> bytes:
    """The review list as an XLSX sheet for the musyawarah kelurahan (KK numbers as text)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet(program.code[:31])
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, HEADERS, bold)
    sheet.set_column(3, 3, 19)
    sheet.set_column(7, 7, 60)
    result = db.session.execute(
        case_select(viewer, program, filters).execution_options(yield_per=500)
    )
    for n, row in enumerate(result, start=1):
        case = row.TargetingCase
        values = [
            n,
            row.rw,
            row.rt,
            row.kk_number or "",
            row.head_name or "",
            row.person_name or "",
            TARGETING_KINDS[case.kind],
            case.explanation,
            SOURCES.get(case.source, case.source),
            TARGETING_DECISIONS[case.decision],
            case.decision_reason,
            row.decided_by or "",
            date_id(case.decided_at) if case.decided_at else "",
        ]
        for col, value in enumerate(values):
            if isinstance(value, int):
                sheet.write_number(n, col, value)
            else:
                sheet.write_string(n, col, str(value) if value is not None else "")
    book.close()
    return buffer.getvalue()
