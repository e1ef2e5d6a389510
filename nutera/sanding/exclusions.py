"""Pairs of programs no one may receive at the same time, set by an admin for the city."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.bounds import in_range
from nutera.models import ProgramExclusion, User
from nutera.sanding.review import SandingError


def pairs(session: Session) -> list[ProgramExclusion]:
    """Every pair, by code."""
    return list(
        session.scalars(
            sa.select(ProgramExclusion).order_by(ProgramExclusion.code_a, ProgramExclusion.code_b)
        )
    )


def add_pair(session: Session, admin: User, first: str, second: str) -> ProgramExclusion:
    """Record that first and second exclude each other (stored in code order)."""
    if not admin.is_admin:
        raise SandingError("Hanya admin yang mengatur program yang saling mengecualikan.")
    code_a, code_b = sorted((first.strip().upper(), second.strip().upper()))
    if code_a == code_b:
        raise SandingError("Pilih dua program yang berbeda.")
    exists = session.scalar(
        sa.select(ProgramExclusion).where(
            ProgramExclusion.code_a == code_a, ProgramExclusion.code_b == code_b
        )
    )
    if exists is not None:
        raise SandingError(f"{code_a} dan {code_b} sudah saling mengecualikan.")
    pair = ProgramExclusion(code_a=code_a, code_b=code_b, created_by_id=admin.id)
    session.add(pair)
    session.flush()
    return pair


def remove_pair(session: Session, admin: User, pair_id: int) -> None:
    """Forget one pair."""
    if not admin.is_admin:
        raise SandingError("Hanya admin yang mengatur program yang saling mengecualikan.")
    pair = session.get(ProgramExclusion, pair_id) if in_range(pair_id) else None
    if pair is None:
        raise SandingError("Pasangan tidak ditemukan.")
    session.delete(pair)
    session.flush()
