"""Figures for the public home page."""

from dataclasses import dataclass

import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import AidProgram, Enrollment, EnrollmentStatus


@dataclass(frozen=True)
class ProgramFigure:
    """Active recipients of one program across the deployment."""

    code: str
    name: str
    recipients: int


def recipients_per_program() -> list[ProgramFigure]:
    """Active recipients per program code, largest first, in one query."""
    rows = db.session.execute(
        sa.select(AidProgram.code, sa.func.min(AidProgram.name), sa.func.count(Enrollment.id))
        .join(
            Enrollment,
            sa.and_(
                Enrollment.program_id == AidProgram.id, Enrollment.status == EnrollmentStatus.AKTIF
            ),
            isouter=True,
        )
        .where(AidProgram.active.is_(True))
        .group_by(AidProgram.code)
        .order_by(sa.func.count(Enrollment.id).desc(), AidProgram.code)
    )
    return [ProgramFigure(code, name, count) for code, name, count in rows]
