"""What a signed-in user may see: the one place every list and lookup goes through.

Admins and the city's social office (dinas) see the whole deployment, a kecamatan account
the kelurahan of its kecamatan, staff their kelurahan, volunteers the RTs assigned to them
(and, for distribution, those RTs' recipients at the events assigned to them). A record
outside the user's scope does not exist for them (404, never 403), so its existence is not
revealed. Dinas and kecamatan accounts only read: nutera/auth/readonly.py refuses their
writes.
"""

from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort

from nutera.bounds import in_range
from nutera.extensions import db
from nutera.models import (
    DistributionEvent,
    DistributionRecipient,
    Handover,
    Household,
    Kelurahan,
    Person,
    User,
    event_volunteer,
    volunteer_rt,
)

M = TypeVar("M")

# Models whose rows sit in one RT (directly or through their household); volunteers are
# limited to their assigned RTs on these.
_RT_COLUMN = {Household: Household.rt_id}


# Distribution records, by the event they belong to: a volunteer works only the events they
# are assigned to, and among an event's recipients sees those of their own RTs.
_EVENT_COLUMN = {
    DistributionEvent: DistributionEvent.id,
    DistributionRecipient: DistributionRecipient.event_id,
    Handover: Handover.event_id,
}


def _rt_condition(model: Any, user: User) -> sa.ColumnElement[bool] | None:
    assigned = sa.select(volunteer_rt.c.rt_id).where(volunteer_rt.c.user_id == user.id)
    if model in _EVENT_COLUMN:
        condition = _EVENT_COLUMN[model].in_(
            sa.select(event_volunteer.c.event_id).where(event_volunteer.c.user_id == user.id)
        )
        in_assigned_rts = DistributionRecipient.household_id.in_(
            sa.select(Household.id).where(Household.rt_id.in_(assigned))
        )
        if model is DistributionRecipient:
            condition = sa.and_(condition, in_assigned_rts)
        elif model is Handover:
            # A handover shows its recipient (receipt, photo): the same RTs as the recipients.
            condition = sa.and_(
                condition,
                Handover.recipient_id.in_(
                    sa.select(DistributionRecipient.id).where(in_assigned_rts)
                ),
            )
        return condition
    if model in _RT_COLUMN:
        return _RT_COLUMN[model].in_(assigned)
    if model is Person:
        return Person.household_id.in_(
            sa.select(Household.id).where(Household.rt_id.in_(assigned))
        )
    rt_column = getattr(model, "rt_id", None)
    if rt_column is not None:
        return rt_column.in_(assigned)
    return None


def sees_whole_city(user: User) -> bool:
    """Whether user's scope is every kelurahan of the deployment (admin, dinas)."""
    return user.is_admin or user.is_dinas


def kecamatan_kelurahan_ids(code: str | None) -> sa.Select:
    """SELECT the ids of the kelurahan whose Kemendagri code lies in kecamatan code."""
    if not code or not code.isdigit() or len(code) != 6:
        return sa.select(Kelurahan.id).where(sa.false())
    return sa.select(Kelurahan.id).where(Kelurahan.code.startswith(code, autoescape=True))


def visible_to(model: Any, user: User) -> sa.ColumnElement[bool]:
    """A WHERE condition selecting the rows of model that user may see."""
    if sees_whole_city(user):
        return sa.true()
    if not hasattr(model, "kelurahan_id"):
        raise TypeError(f"{model.__name__} has no kelurahan_id and cannot be scoped")
    if user.is_kecamatan:
        return model.kelurahan_id.in_(kecamatan_kelurahan_ids(user.kecamatan_code))
    condition = model.kelurahan_id == user.kelurahan_id
    if user.is_volunteer:
        rt_condition = _rt_condition(model, user)
        if rt_condition is not None:
            condition = sa.and_(condition, rt_condition)
    return condition


def scoped_select(model: type[M], user: User) -> sa.Select[tuple[M]]:
    """SELECT model, limited to what user may see."""
    return sa.select(model).where(visible_to(model, user))


def get_visible_or_404(model: type[M], ident: int, user: User) -> M:
    """The record with this id if user may see it, else abort with 404."""
    if not in_range(ident):  # an id no INTEGER column holds (typed into a form) exists nowhere
        abort(404)
    obj = db.session.scalar(scoped_select(model, user).where(model.id == ident))
    if obj is None:
        abort(404)
    return obj


def may_manage_kelurahan(user: User, kelurahan_id: int) -> bool:
    """Whether user administers records of that kelurahan (admin, or its staff)."""
    return user.is_admin or (user.is_staff and user.kelurahan_id == kelurahan_id)


def visible_kelurahans(user: User) -> sa.Select:
    """SELECT the kelurahan user sees: every one for admin and dinas, a kecamatan's for a
    kecamatan account, else their own."""
    stmt = sa.select(Kelurahan)
    if sees_whole_city(user):
        return stmt
    if user.is_kecamatan:
        return stmt.where(Kelurahan.id.in_(kecamatan_kelurahan_ids(user.kecamatan_code)))
    return stmt.where(Kelurahan.id == user.kelurahan_id)


def visible_to_kelurahan(model: Any, kelurahan_ids: list[int] | None) -> sa.ColumnElement[bool]:
    """A WHERE condition for a machine client limited to kelurahan_ids (None: whole city)."""
    if kelurahan_ids is None:
        return sa.true()
    column = model.id if model.__tablename__ == "kelurahan" else model.kelurahan_id
    return column.in_(kelurahan_ids)
