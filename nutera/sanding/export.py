"""The validated list and the double-dipping report as XLSX, through nutera/spreadsheet.py."""

from collections.abc import Iterator
from typing import IO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import DECISIONS, REVIEWS, ROW_STATUSES, Refresh, SandingRow, User
from nutera.sanding import history
from nutera.scoping import visible_to
from nutera.spreadsheet import Column, Kind, Workbook

CHUNK = 2000

LIST_COLUMNS = [
    Column("Lembar"),
    Column("Baris", Kind.NUMBER),
    Column("NIK", Kind.ID),
    Column("NIK di daftar (sebelum dibetulkan)", Kind.ID),
    Column("Nomor KK", Kind.ID),
    Column("Nama", min_width=20),
    Column("Tanggal lahir", Kind.DATE),
    Column("Alamat", min_width=20),
    Column("Program"),
    Column("Status", labels=ROW_STATUSES),
    Column("Alasan", min_width=30),
    Column("Verifikasi", labels=REVIEWS),
    Column("Keputusan", labels=DECISIONS),
    Column("Alasan keputusan", min_width=20),
    Column("Diputuskan oleh"),
    Column("Waktu keputusan", Kind.TIME),
    Column("Riwayat bansos", min_width=30),
]


def _list_rows(session: Session, user: User, refresh: Refresh) -> Iterator[list]:
    """The list's rows in file order with their aid history, CHUNK at a time."""
    last = 0
    while True:
        rows = session.execute(
            sa.select(SandingRow.__table__)
            .where(
                visible_to(SandingRow, user),
                SandingRow.refresh_id == refresh.id,
                SandingRow.id > last,
            )
            .order_by(SandingRow.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        last = rows[-1].id
        aid_of = history.aid_history(session, [r.person_id for r in rows if r.person_id])
        names = dict(
            session.execute(
                sa.select(User.id, User.full_name).where(
                    User.id.in_({r.decided_by_id for r in rows if r.decided_by_id})
                )
            ).all()
        )
        for row in rows:
            aid = aid_of.get(row.person_id, [])
            yield [
                row.sheet,
                row.row_number,
                row.nik,
                row.original_nik,
                row.kk,
                row.name,
                row.birth_date,
                row.address,
                ", ".join(code for code in row.programs.split(",") if code),
                row.status,
                row.reason,
                row.review,
                row.decision,
                row.decision_reason,
                names.get(row.decided_by_id),
                row.decided_at,
                "; ".join(entry.summary for entry in aid),
            ]


def write_validated_list(
    session: Session, user: User, refresh: Refresh, target: IO[bytes], zone: object
) -> int:
    """The validated list, one row per list row with its status; returns the row count."""
    book = Workbook(target, zone)
    count = book.write_sheet(
        "Daftar tervalidasi", LIST_COLUMNS, _list_rows(session, user, refresh)
    )
    book.close()
    return count


PAIR_COLUMNS = [
    Column("Kelurahan"),
    Column("Nomor KK", Kind.ID),
    Column("Program"),
    Column("Program yang mengecualikan"),
]
CROSS_COLUMNS = [
    Column("NIK", Kind.ID),
    Column("Nama", min_width=20),
    Column("Jumlah kelurahan", Kind.NUMBER),
    Column("Ditemukan di"),
]


def write_double_dipping(session: Session, user: User, target: IO[bytes], zone: object) -> None:
    """Two sheets: households in exclusive programs, NIKs in two kelurahan."""
    book = Workbook(target, zone)
    book.write_sheet(
        "Program saling mengecualikan",
        PAIR_COLUMNS,
        (
            [r.kelurahan, r.kk_number, r.program_a, r.program_b]
            for r in history.exclusive_pairs(session, user)
        ),
    )
    book.write_sheet(
        "NIK di dua kelurahan",
        CROSS_COLUMNS,
        (list(r) for r in history.cross_kelurahan(session, user)),
    )
    book.close()
