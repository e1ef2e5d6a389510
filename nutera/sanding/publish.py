"""Enrolments created from a validated list, each recording the row it came from."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera import changes
from nutera.audit import Actor, audit_bulk
from nutera.city import figures as city_figures
from nutera.models import (
    ENROLLED,
    AidProgram,
    Enrollment,
    Household,
    Person,
    Refresh,
    RowStatus,
    SandingRow,
)
from nutera.models.api import ChangeKind
from nutera.sanding.review import SandingError
from nutera.timeutil import utcnow


def enrol_valid(
    session: Session, refresh: Refresh, program: AidProgram, actor: Actor, today: date
) -> int:
    """Enrol the list's valid rows naming program (not yet enrolled in it), each enrolment
    recording the validated row it came from. Returns how many were created."""
    if program.kelurahan_id != refresh.kelurahan_id:
        raise SandingError("Program ini bukan program kelurahan daftar ini.")
    row, person = SandingRow.__table__, Person.__table__
    enrollment = Enrollment.__table__
    per_household = program.target == "household"
    beneficiary = person.c.household_id if per_household else person.c.id
    already = sa.exists().where(
        enrollment.c.program_id == program.id,
        enrollment.c.status.in_(ENROLLED),
        (enrollment.c.household_id if per_household else enrollment.c.person_id) == beneficiary,
    )
    first_row = (
        sa.select(sa.func.min(row.c.id).label("row_id"), beneficiary.label("beneficiary"))
        .join(person, person.c.id == row.c.person_id)
        .where(
            row.c.refresh_id == refresh.id,
            row.c.status == RowStatus.VALID,
            row.c.programs.like(f"%,{program.code},%"),
            beneficiary.is_not(None),
            ~already,
        )
        .group_by(beneficiary)
    )
    if per_household:
        first_row = first_row.where(
            person.c.household_id.in_(
                sa.select(Household.id).where(Household.kelurahan_id == refresh.kelurahan_id)
            )
        )
    chosen = session.execute(first_row).all()
    if not chosen:
        return 0
    before = session.scalar(sa.select(sa.func.coalesce(sa.func.max(enrollment.c.id), 0)))
    stamp = {
        "kelurahan_id": refresh.kelurahan_id,
        "program_id": program.id,
        "period_start": today,
        "status": "aktif",
        "status_reason": "",
    }
    session.execute(
        sa.insert(enrollment),
        [
            {
                **stamp,
                "person_id": None if per_household else beneficiary_id,
                "household_id": beneficiary_id if per_household else None,
                "sanding_row_id": row_id,
            }
            for row_id, beneficiary_id in chosen
        ],
    )
    # A bulk insert passes by the flush hook: the change feed gets its entries here.
    changes.record_bulk(
        session,
        ChangeKind.ENROLLMENT,
        "create",
        sa.select(enrollment.c.id, enrollment.c.kelurahan_id).where(
            enrollment.c.id > before,
            enrollment.c.program_id == program.id,
            enrollment.c.sanding_row_id.in_(
                sa.select(row.c.id).where(row.c.refresh_id == refresh.id)
            ),
        ),
    )
    audit_bulk(
        session,
        actor,
        "create",
        "enrollment",
        None,
        refresh.kelurahan_id,
        {"dari_sanding": len(chosen), "refresh_id": refresh.id, "program": program.code},
    )
    session.flush()
    city_figures.recount(session, utcnow(), [refresh.kelurahan_id])  # the overview's counts
    return len(chosen)
