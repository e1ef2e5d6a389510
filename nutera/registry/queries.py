"""Scoped queries over households and persons."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from nutera.extensions import db
from nutera.models import Household, Person, PersonStatus, Rt, Rw, User
from nutera.scoping import scoped_select


def household_page(
    viewer: User,
    page: int,
    rw: int | None = None,
    rt: int | None = None,
    kk: str | None = None,
    kelurahan_id: int | None = None,
):
    """A page of the households the viewer may see, filtered by kelurahan, RW/RT or KK
    prefix."""
    stmt = (
        scoped_select(Household, viewer)
        .join(Rt, Household.rt_id == Rt.id)
        .join(Rw, Rt.rw_id == Rw.id)
        .options(selectinload(Household.rt).selectinload(Rt.rw))
    )
    if kelurahan_id:
        stmt = stmt.where(Household.kelurahan_id == kelurahan_id)
    if rw:
        stmt = stmt.where(Rw.number == rw)
    if rt:
        stmt = stmt.where(Rt.number == rt)
    if kk:
        stmt = stmt.where(Household.kk_number.startswith(kk.strip()))
    stmt = stmt.order_by(Rw.number, Rt.number, Household.id)
    return db.paginate(stmt, page=page, per_page=25, error_out=False)


def member_counts(household_ids: list[int]) -> dict[int, int]:
    """Living members per household, in one query."""
    rows = db.session.execute(
        sa.select(Person.household_id, sa.func.count(Person.id))
        .where(Person.household_id.in_(household_ids), Person.status == PersonStatus.HIDUP)
        .group_by(Person.household_id)
    )
    return dict(rows.all())
