"""One status and an Indonesian reason per list row, decided set-based in SQL.

Each step updates only rows that have no status yet, so the first that applies wins:
unreadable, twice in the list, deceased, moved, another kelurahan or city, name differs,
KK differs, two excluding programs named in the row itself, already in an excluding
program, fails the program's criteria, criteria data not recorded, valid. Rows
whose NIK no resident has get candidates (nutera/sanding/candidates.py).
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import (
    ENROLLED,
    AidProgram,
    Enrollment,
    Household,
    Kelurahan,
    Person,
    PersonStatus,
    ProgramExclusion,
    Review,
    RowStatus,
    SandingRow,
)
from nutera.sanding import criteria, names
from nutera.sanding.thresholds import Thresholds

ROW = SandingRow.__table__
PERSON = Person.__table__
HOUSEHOLD = Household.__table__
KELURAHAN = Kelurahan.__table__


def _open(refresh_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(ROW.c.refresh_id == refresh_id, ROW.c.status.is_(None))


def _matched(refresh_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(_open(refresh_id), ROW.c.person_id.is_not(None))


def mark_duplicates(session: Session, refresh_id: int) -> int:
    """Rows whose NIK an earlier row of the list already has."""
    earlier = ROW.alias("earlier")
    first = (
        sa.select(sa.func.min(earlier.c.row_number))
        .where(earlier.c.refresh_id == refresh_id, earlier.c.nik == ROW.c.nik)
        .scalar_subquery()
    )
    exists = sa.exists().where(
        earlier.c.refresh_id == refresh_id, earlier.c.nik == ROW.c.nik, earlier.c.id < ROW.c.id
    )
    return session.execute(
        sa.update(ROW)
        .where(_open(refresh_id), exists)
        .values(
            status=RowStatus.GANDA,
            reason=sa.literal("NIK ini sudah ada di baris ")
            + sa.cast(first, sa.String)
            + sa.literal(" daftar ini."),
        )
    ).rowcount


def match_by_nik(session: Session, refresh_id: int) -> int:
    """Link rows to the resident with their NIK, anywhere in the deployment."""
    return session.execute(
        sa.update(ROW)
        .where(_open(refresh_id), PERSON.c.nik == ROW.c.nik)
        .values(person_id=PERSON.c.id)
    ).rowcount


def mark_gone(session: Session, refresh_id: int) -> None:
    """Residents recorded as deceased or moved."""
    for person_status, row_status, reason in (
        (PersonStatus.MENINGGAL, RowStatus.MENINGGAL, "Tercatat meninggal di data penduduk."),
        (PersonStatus.PINDAH, RowStatus.PINDAH, "Tercatat pindah di data penduduk."),
    ):
        session.execute(
            sa.update(ROW)
            .where(
                _matched(refresh_id),
                PERSON.c.id == ROW.c.person_id,
                PERSON.c.status == person_status,
            )
            .values(status=row_status, reason=reason)
        )


def mark_elsewhere(session: Session, refresh_id: int, kelurahan: Kelurahan) -> None:
    """Residents of another kelurahan of the city, or of another city."""
    same_city = KELURAHAN.c.kota == kelurahan.kota
    session.execute(
        sa.update(ROW)
        .where(
            _matched(refresh_id),
            PERSON.c.id == ROW.c.person_id,
            PERSON.c.kelurahan_id != kelurahan.id,
            KELURAHAN.c.id == PERSON.c.kelurahan_id,
        )
        .values(
            status=sa.case(
                (same_city, sa.literal(str(RowStatus.KELURAHAN_LAIN))),
                else_=sa.literal(str(RowStatus.LUAR_KOTA)),
            ),
            reason=sa.case(
                (
                    same_city,
                    sa.literal("Terdaftar sebagai warga Kelurahan ")
                    + KELURAHAN.c.name
                    + sa.literal(", bukan kelurahan ini."),
                ),
                else_=sa.literal("Terdaftar di ") + KELURAHAN.c.kota + sa.literal(", luar kota."),
            ),
        )
    )


def mark_name_differs(session: Session, refresh_id: int, thresholds: Thresholds) -> int:
    """Rows whose name is not the resident's, after normalising both (one query)."""
    pairs = session.execute(
        sa.select(ROW.c.id, ROW.c.name, PERSON.c.name)
        .join(PERSON, PERSON.c.id == ROW.c.person_id)
        .where(_matched(refresh_id), ROW.c.identity_confirmed.is_(False))
    )
    differing = []
    for row_id, listed, registered in pairs:
        if listed == registered:
            continue
        alike = names.score(listed, registered)
        if alike < thresholds.name_match:
            differing.append(
                {
                    "id": row_id,
                    "status": RowStatus.NAMA_BERBEDA,
                    "review": Review.ANTRE,
                    "best_score": alike,
                    "reason": f"Nama di data penduduk: {registered} (kemiripan {alike}).",
                }
            )
    if differing:
        session.execute(sa.update(SandingRow), differing)
    return len(differing)


def mark_kk_differs(session: Session, refresh_id: int) -> None:
    """Rows whose KK number is not the resident's household's."""
    session.execute(
        sa.update(ROW)
        .where(
            _matched(refresh_id),
            ROW.c.kk.is_not(None),
            ROW.c.identity_confirmed.is_(False),
            PERSON.c.id == ROW.c.person_id,
            HOUSEHOLD.c.id == PERSON.c.household_id,
            HOUSEHOLD.c.kk_number != ROW.c.kk,
        )
        .values(
            status=RowStatus.KK_BERBEDA,
            review=Review.ANTRE,
            reason=sa.literal("KK di data penduduk berakhiran ")
            + sa.func.substr(HOUSEHOLD.c.kk_number, 13, 4)
            + sa.literal(", di daftar berakhiran ")
            + sa.func.substr(ROW.c.kk, 13, 4)
            + sa.literal("."),
        )
    )


def _names(code: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    return ROW.c.programs.like(sa.literal("%,") + code + sa.literal(",%"))


def mark_conflicting(session: Session, refresh_id: int) -> None:
    """Rows naming themselves two programs the admin set as excluding each other (the
    first pair by code is named)."""
    pair = ProgramExclusion.__table__
    named = sa.and_(_names(pair.c.code_a), _names(pair.c.code_b))
    first = (
        sa.select(
            sa.literal("Baris ini mencantumkan ")
            + pair.c.code_a
            + sa.literal(" dan ")
            + pair.c.code_b
            + sa.literal(", dua program yang tidak boleh diterima bersamaan.")
        )
        .where(named)
        .order_by(pair.c.code_a, pair.c.code_b)
        .limit(1)
        .scalar_subquery()
    )
    session.execute(
        sa.update(ROW)
        .where(_matched(refresh_id), ROW.c.programs.like("%,%,%,%"), sa.exists().where(named))
        .values(status=RowStatus.PROGRAM_BENTROK, reason=first)
    )


def _exclusions(session: Session, refresh_id: int) -> list[tuple[str, str]]:
    """(code a row lists, code excluding it) for the codes the open matched rows list."""
    listed = {
        code
        for text in session.scalars(
            sa.select(ROW.c.programs).where(_matched(refresh_id)).distinct()
        )
        for code in (text or "").split(",")
        if code
    }
    found = set()
    for code_a, code_b in session.execute(
        sa.select(ProgramExclusion.code_a, ProgramExclusion.code_b)
    ):
        if code_a in listed:
            found.add((code_a, code_b))
        if code_b in listed:
            found.add((code_b, code_a))
    return sorted(found)


def mark_excluded(session: Session, refresh_id: int) -> None:
    """Residents (or their households) enrolled now in a program that excludes the list's.

    One statement per (listed code, excluding code) and beneficiary kind, each with an
    uncorrelated subquery of the excluding program's beneficiaries: the enrolments are
    read once, never once per row."""
    enrollment, program = Enrollment.__table__, AidProgram.__table__
    for listed, other in _exclusions(session, refresh_id):
        enrolled = sa.and_(
            program.c.id == enrollment.c.program_id,
            program.c.code == other,
            enrollment.c.status.in_(ENROLLED),
        )
        persons = sa.select(enrollment.c.person_id).where(
            enrolled, enrollment.c.person_id.is_not(None)
        )
        households = sa.select(PERSON.c.id).where(
            enrolled, enrollment.c.household_id == PERSON.c.household_id
        )
        for beneficiaries in (persons, households):
            session.execute(
                sa.update(ROW)
                .where(
                    _matched(refresh_id),
                    ROW.c.programs.like(f"%,{listed},%"),
                    ROW.c.person_id.in_(beneficiaries),
                )
                .values(
                    status=RowStatus.PROGRAM_EKSKLUSIF,
                    reason=f"Sudah menerima {other}, yang tidak boleh bersamaan dengan program "
                    "daftar ini.",
                )
            )


def mark_valid(session: Session, refresh_id: int) -> None:
    """Every matched row left: valid."""
    session.execute(
        sa.update(ROW)
        .where(_matched(refresh_id))
        .values(status=RowStatus.VALID, reason="Cocok dengan data penduduk.")
    )


def classify_matched(
    session: Session, refresh_id: int, kelurahan: Kelurahan, thresholds: Thresholds, today: date
) -> None:
    """Statuses of the rows linked to a resident and not yet judged."""
    mark_gone(session, refresh_id)
    mark_elsewhere(session, refresh_id, kelurahan)
    mark_name_differs(session, refresh_id, thresholds)
    mark_kk_differs(session, refresh_id)
    mark_conflicting(session, refresh_id)
    mark_excluded(session, refresh_id)
    criteria.mark_failing(session, refresh_id, kelurahan.id, today)
    mark_valid(session, refresh_id)
