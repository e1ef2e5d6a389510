"""Read-only queries behind the public program pages and the statistics."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import (
    AidProgram,
    Enrollment,
    Household,
    Kelurahan,
    Person,
    ProgramInfo,
    Rt,
    Rw,
)
from nutera.models.programs import EnrollmentStatus


def public_kelurahan(
    session: Session, code: str | None
) -> tuple[Kelurahan | None, list[Kelurahan]]:
    """The kelurahan a public page is about, and the choices when it cannot be decided.

    With ?kel=<code> that kelurahan (None and no choices if unknown); with a single
    kelurahan in the deployment that one; otherwise None and the list to choose from.
    """
    if code:
        return session.scalar(sa.select(Kelurahan).where(Kelurahan.code == code)), []
    found = session.scalars(sa.select(Kelurahan).order_by(Kelurahan.name).limit(200)).all()
    if len(found) == 1:
        return found[0], []
    return None, list(found)


def programs_with_info(
    session: Session, kelurahan_id: int, active_only: bool = True
) -> list[tuple[AidProgram, ProgramInfo | None]]:
    """The kelurahan's programs with their public page, in one query."""
    stmt = (
        sa.select(AidProgram, ProgramInfo)
        .join(ProgramInfo, ProgramInfo.program_id == AidProgram.id, isouter=True)
        .where(AidProgram.kelurahan_id == kelurahan_id)
        .order_by(AidProgram.code)
    )
    if active_only:
        stmt = stmt.where(AidProgram.active.is_(True))
    return [(p, i) for p, i in session.execute(stmt)]


def program_by_code(session: Session, kelurahan_id: int, code: str) -> AidProgram | None:
    """An active program of the kelurahan by its code."""
    return session.scalar(
        sa.select(AidProgram).where(
            AidProgram.kelurahan_id == kelurahan_id,
            AidProgram.code == code.upper(),
            AidProgram.active.is_(True),
        )
    )


@dataclass
class Statistics:
    """Active recipients per program, and per program per RW."""

    programs: list[tuple[str, str, int]] = field(default_factory=list)  # code, name, total
    rws: list[int] = field(default_factory=list)
    by_rw: dict[str, dict[int, int]] = field(default_factory=dict)  # code -> rw -> count


def recipient_statistics(session: Session, kelurahan_id: int) -> Statistics:
    """Active recipients per program and RW from live enrollments, in one grouped query."""
    household_id = sa.func.coalesce(Enrollment.household_id, Person.household_id)
    rows = session.execute(
        sa.select(AidProgram.code, AidProgram.name, Rw.number, sa.func.count(Enrollment.id))
        .join(AidProgram, AidProgram.id == Enrollment.program_id)
        .join(Person, Person.id == Enrollment.person_id, isouter=True)
        .join(Household, Household.id == household_id)
        .join(Rt, Rt.id == Household.rt_id)
        .join(Rw, Rw.id == Rt.rw_id)
        .where(
            Enrollment.kelurahan_id == kelurahan_id,
            Enrollment.status == EnrollmentStatus.AKTIF,
            AidProgram.active.is_(True),
        )
        .group_by(AidProgram.code, AidProgram.name, Rw.number)
    )
    stats = Statistics()
    names: dict[str, str] = {}
    rws: set[int] = set()
    for code, name, rw, count in rows:
        names[code] = name
        stats.by_rw.setdefault(code, {})[rw] = count
        rws.add(rw)
    stats.rws = sorted(rws)
    stats.programs = sorted(
        ((c, names[c], sum(stats.by_rw[c].values())) for c in names), key=lambda p: (-p[2], p[0])
    )
    return stats
