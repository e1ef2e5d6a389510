"""Residents a row may have meant: NIK typos, swapped digits, the same person under another NIK.

Pairs are blocked in SQL (same birth date across the city; same RT and birth year) so
only a few dozen residents are compared per row, then scored in Python with rapidfuzz on
names normalised for Indonesian habits (nutera/sanding/names.py).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import (
    CandidateKind,
    Household,
    Kelurahan,
    Person,
    Review,
    RowStatus,
    SandingCandidate,
    SandingRow,
)
from nutera.sanding import names
from nutera.sanding.thresholds import Thresholds

ROW = SandingRow.__table__
PERSON = Person.__table__
# A different NIK is less sure than a typo of the same one: the same name and birth date
# under another NIK never reaches bulk confirmation on its own.
OTHER_NIK_PENALTY = 8
BIRTH_DIFFERS_PENALTY = 10


def nik_relation(listed: str | None, registered: str | None) -> CandidateKind | None:
    """SATU_DIGIT or TERTUKAR when two 16-digit NIKs differ so, else None."""
    if not listed or not registered or len(listed) != len(registered) or listed == registered:
        return None
    differ = [i for i, (a, b) in enumerate(zip(listed, registered, strict=True)) if a != b]
    if len(differ) == 1:
        return CandidateKind.SATU_DIGIT
    if (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and listed[differ[0]] == registered[differ[1]]
        and listed[differ[1]] == registered[differ[0]]
    ):
        return CandidateKind.TERTUKAR
    return None


@dataclass(frozen=True)
class Found:
    """A scored candidate for one row."""

    row_id: int
    person_id: int
    kind: CandidateKind
    score: int


def judge(
    listed: tuple[str | None, str, date | None],
    registered: tuple[str | None, str, date | None],
    thresholds: Thresholds,
) -> tuple[CandidateKind, int] | None:
    """(kind, score) when the resident may be the row's person, else None."""
    nik, name, born = listed
    other_nik, other_name, other_born = registered
    kind = nik_relation(nik, other_nik)
    same_birth = born is not None and born == other_born
    if kind is None and not same_birth:
        return None
    alike = names.score(name, other_name)
    if kind is None:
        kind, alike = CandidateKind.NAMA_LAHIR, alike - OTHER_NIK_PENALTY
    elif born is not None and other_born is not None and not same_birth:
        alike -= BIRTH_DIFFERS_PENALTY
    return (kind, alike) if alike >= thresholds.review else None


# Rows that keep their status but go to the queue when someone alike is found: a NIK
# held by someone else, and a NIK too short or long to read (a digit dropped or doubled).
KEEP_STATUS = (RowStatus.NAMA_BERBEDA, RowStatus.TIDAK_TERBACA)


def _searched(refresh_id: int) -> sa.ColumnElement[bool]:
    unmatched = sa.and_(ROW.c.status.is_(None), ROW.c.person_id.is_(None))
    return sa.and_(
        ROW.c.refresh_id == refresh_id,
        sa.or_(unmatched, ROW.c.status.in_(KEEP_STATUS)),
    )


_COLUMNS = (
    ROW.c.id,
    ROW.c.nik,
    ROW.c.name,
    ROW.c.birth_date,
    PERSON.c.id.label("person_id"),
    PERSON.c.nik.label("person_nik"),
    PERSON.c.name.label("person_name"),
    PERSON.c.birth_date.label("person_birth"),
)
_OTHER = sa.func.coalesce(ROW.c.person_id, 0) != PERSON.c.id
CHUNK = 500


def _same_birth(refresh_id: int, kota: str) -> sa.Select:
    """Pairs with the same birth date, across the city's kelurahan."""
    city = sa.select(Kelurahan.id).where(Kelurahan.kota == kota)
    return (
        sa.select(*_COLUMNS)
        .join(PERSON, PERSON.c.birth_date == ROW.c.birth_date)
        .where(_searched(refresh_id), _OTHER, PERSON.c.kelurahan_id.in_(city))
    )


def _same_rt_year(row_ids: list[int]) -> sa.Select:
    """Pairs in the same RT born the same year (the list's birth date may be wrong)."""
    household = Household.__table__
    return (
        sa.select(*_COLUMNS)
        .join(household, household.c.rt_id == ROW.c.rt_id)
        .join(PERSON, PERSON.c.household_id == household.c.id)
        .where(
            ROW.c.id.in_(row_ids),
            _OTHER,
            sa.extract("year", PERSON.c.birth_date) == ROW.c.birth_year,
        )
    )


def _judge_pairs(found: dict[int, dict[int, Found]], pairs, thresholds: Thresholds) -> None:
    for row in pairs:
        verdict = judge(
            (row.nik, row.name, row.birth_date),
            (row.person_nik, row.person_name, row.person_birth),
            thresholds,
        )
        if verdict is None:
            continue
        kind, score = verdict
        earlier = found[row.id].get(row.person_id)
        if earlier is None or earlier.score < score:
            found[row.id][row.person_id] = Found(row.id, row.person_id, kind, score)


def search(
    session: Session, refresh_id: int, kelurahan: Kelurahan, thresholds: Thresholds
) -> dict[int, list[Found]]:
    """Scored candidates per searched row (rows without any are left out): the same birth
    date first, then the same RT and birth year for the rows still without one."""
    found: dict[int, dict[int, Found]] = defaultdict(dict)
    _judge_pairs(found, session.execute(_same_birth(refresh_id, kelurahan.kota)), thresholds)
    rest = [
        row_id
        for row_id in session.scalars(
            sa.select(ROW.c.id).where(_searched(refresh_id), ROW.c.rt_id.is_not(None))
        )
        if row_id not in found
    ]
    for start in range(0, len(rest), CHUNK):
        pairs = session.execute(_same_rt_year(rest[start : start + CHUNK]))
        _judge_pairs(found, pairs, thresholds)
    return {row_id: list(by_person.values()) for row_id, by_person in found.items() if by_person}


def _review(candidates: list[Found], thresholds: Thresholds) -> Review:
    strong = [c for c in candidates if c.score >= thresholds.confirm]
    return Review.USULAN if len(strong) == 1 and len(candidates) == 1 else Review.ANTRE


def record(
    session: Session, refresh_id: int, kelurahan: Kelurahan, thresholds: Thresholds
) -> None:
    """Store the candidates and set the statuses of the rows no NIK matched."""
    found = search(session, refresh_id, kelurahan, thresholds)
    session.execute(
        sa.delete(SandingCandidate).where(
            SandingCandidate.row_id.in_(
                sa.select(SandingRow.id).where(SandingRow.refresh_id == refresh_id)
            )
        )
    )
    rows = []
    for candidates in found.values():
        rows.extend(
            {
                "row_id": c.row_id,
                "kelurahan_id": kelurahan.id,
                "person_id": c.person_id,
                "kind": c.kind,
                "score": c.score,
            }
            for c in candidates
        )
    if rows:
        session.execute(sa.insert(SandingCandidate.__table__), rows)
    _set_statuses(session, refresh_id, found, thresholds)
    _mark_unknown(session, refresh_id, kelurahan)


def _set_statuses(
    session: Session, refresh_id: int, found: dict[int, list[Found]], thresholds: Thresholds
) -> None:
    renamed = set(
        session.scalars(
            sa.select(SandingRow.id).where(
                SandingRow.refresh_id == refresh_id, SandingRow.status.in_(KEEP_STATUS)
            )
        )
    )
    updates = []
    for row_id, candidates in found.items():
        best = max(c.score for c in candidates)
        if row_id in renamed:
            updates.append({"id": row_id, "review": Review.ANTRE, "best_score": best})
            continue
        updates.append(
            {
                "id": row_id,
                "status": RowStatus.NIK_TIDAK_ADA,
                "review": _review(candidates, thresholds),
                "best_score": best,
                "reason": (
                    f"NIK tidak ada di data penduduk; {len(candidates)} warga mirip "
                    f"(skor tertinggi {best})."
                ),
            }
        )
    if updates:
        session.execute(sa.update(SandingRow), updates)


def _mark_unknown(session: Session, refresh_id: int, kelurahan: Kelurahan) -> None:
    """Rows no NIK matched and no candidate came near: not in the city's population."""
    regency = (kelurahan.code or "")[:4]
    session.execute(
        sa.update(ROW)
        .where(ROW.c.refresh_id == refresh_id, ROW.c.status.is_(None))
        .values(
            status=RowStatus.LUAR_KOTA,
            reason=sa.case(
                (
                    sa.func.substr(ROW.c.nik, 1, 4) != regency,
                    sa.literal("NIK tidak ada di data penduduk kota; kode wilayahnya ")
                    + sa.func.substr(ROW.c.nik, 1, 4)
                    + sa.literal(" bukan kode kota ini."),
                ),
                else_=sa.literal(
                    "NIK tidak ada di data penduduk kota dan tidak ada warga yang mirip."
                ),
            ),
        )
    )
