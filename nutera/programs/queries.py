"""Read-only queries behind the public program pages and the statistics."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import (
    AidProgram,
    Kelurahan,
    ProgramInfo,
)


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
