"""Scoped reads for the survey pages: progress, lists, the verification queue, the export."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import selectinload

from nutera.extensions import db
from nutera.models import (
    EDITABLE,
    SENT,
    Household,
    Rt,
    Rw,
    Survey,
    SurveyStatus,
    SurveyTask,
    TaskStatus,
    User,
)
from nutera.scoping import get_visible_or_404, scoped_select, visible_to
from nutera.timeutil import day_end_utc, day_start_utc

PER_PAGE = 25


@dataclass(frozen=True)
class RtProgress:
    """How far the surveys of one RT have come this period."""

    rt: Rt
    households: int
    surveyed: int
    verified: int
    returned: int


def survey_for(viewer: User, survey_id: int) -> Survey:
    """A survey the viewer may see: staff of its kelurahan, or the volunteer who made it."""
    survey = get_visible_or_404(Survey, survey_id, viewer)
    if viewer.is_volunteer and survey.volunteer_id != viewer.id:
        abort(404)
    return survey


def rt_progress(volunteer: User, period: str) -> list[RtProgress]:
    """Progress per assigned RT: known households against surveyed, verified and returned."""
    rt_ids = [rt.id for rt in volunteer.assigned_rts]
    known = dict(
        db.session.execute(
            sa.select(Household.rt_id, sa.func.count(Household.id))
            .where(Household.rt_id.in_(rt_ids))
            .group_by(Household.rt_id)
        ).all()
    )
    counts: dict[tuple[int, str], int] = {}
    rows = db.session.execute(
        sa.select(Survey.rt_id, Survey.status, sa.func.count(sa.distinct(Survey.kk_number)))
        .where(
            Survey.rt_id.in_(rt_ids),
            Survey.period == period,
            Survey.status.in_(SENT),
        )
        .group_by(Survey.rt_id, Survey.status)
    )
    for rt_id, status, count in rows:
        counts[rt_id, status] = count
    return [
        RtProgress(
            rt,
            known.get(rt.id, 0),
            sum(counts.get((rt.id, s), 0) for s in SENT),
            counts.get((rt.id, SurveyStatus.VERIFIED), 0),
            counts.get((rt.id, SurveyStatus.RETURNED), 0),
        )
        for rt in volunteer.assigned_rts
    ]


def open_tasks(viewer: User, limit: int = 50) -> list[SurveyTask]:
    """Open survey tasks in the viewer's RTs, oldest first."""
    return list(
        db.session.scalars(
            scoped_select(SurveyTask, viewer)
            .where(SurveyTask.status == TaskStatus.TERBUKA)
            .options(selectinload(SurveyTask.rt).selectinload(Rt.rw))
            .order_by(SurveyTask.created_at, SurveyTask.id)
            .limit(limit)
        )
    )


def resumable(volunteer: User) -> list[Survey]:
    """The volunteer's drafts and surveys returned for correction."""
    return list(
        db.session.scalars(
            scoped_select(Survey, volunteer)
            .where(Survey.volunteer_id == volunteer.id, Survey.status.in_(EDITABLE))
            .options(selectinload(Survey.rt).selectinload(Rt.rw))
            .order_by(Survey.updated_at.desc())
            .limit(100)
        )
    )


@dataclass(frozen=True)
class SurveyFilters:
    """What the survey list is narrowed to."""

    rw: int | None = None
    rt: int | None = None
    status: str | None = None
    volunteer_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args) -> "SurveyFilters":
        """Read the filters from a query string, ignoring what does not parse."""

        def day(name):
            try:
                value = date.fromisoformat(args.get(name, ""))
            except ValueError:
                return None
            # Beyond these, the day bounds (a day added, a zone applied) overflow.
            return value if 1900 <= value.year <= 2999 else None

        return cls(
            args.get("rw", type=int),
            args.get("rt", type=int),
            args.get("status") or None,
            args.get("volunteer", type=int),
            day("dari"),
            day("sampai"),
        )


def filtered_surveys(viewer: User, filters: SurveyFilters) -> sa.Select:
    """SELECT Survey narrowed by scope and filters, newest first."""
    stmt = scoped_select(Survey, viewer)
    if viewer.is_volunteer:
        stmt = stmt.where(Survey.volunteer_id == viewer.id)
    if filters.rw or filters.rt:
        rts = (
            sa.select(Rt.id).join(Rw, Rt.rw_id == Rw.id).where(Rt.kelurahan_id == Rw.kelurahan_id)
        )
        if filters.rw:
            rts = rts.where(Rw.number == filters.rw)
        if filters.rt:
            rts = rts.where(Rt.number == filters.rt)
        stmt = stmt.where(Survey.rt_id.in_(rts))
    if filters.status:
        stmt = stmt.where(Survey.status == filters.status)
    if filters.volunteer_id:
        stmt = stmt.where(Survey.volunteer_id == filters.volunteer_id)
    if filters.date_from:
        stmt = stmt.where(
            Survey.submitted_at >= day_start_utc(filters.date_from, viewer.kelurahan)
        )
    if filters.date_to:
        stmt = stmt.where(Survey.submitted_at < day_end_utc(filters.date_to, viewer.kelurahan))
    return stmt.order_by(Survey.id.desc())


def survey_page(viewer: User, filters: SurveyFilters, page: int):
    """One page of the filtered list, with RT and volunteer loaded in two more queries."""
    stmt = filtered_surveys(viewer, filters).options(
        selectinload(Survey.rt).selectinload(Rt.rw), selectinload(Survey.volunteer)
    )
    return db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)


def volunteer_choices(viewer: User) -> list[tuple[int, str]]:
    """Volunteers of the viewer's kelurahan, for the list filter."""
    stmt = scoped_select(User, viewer).where(User.role == "volunteer").order_by(User.full_name)
    return [(u.id, u.full_name) for u in db.session.scalars(stmt)]


def rt_choices(viewer: User) -> list[tuple[int, str]]:
    """RTs the viewer may work in, labelled 'RT 01/RW 02'."""
    if viewer.is_volunteer:
        return [(rt.id, rt.label) for rt in viewer.assigned_rts]
    stmt = (
        sa.select(Rt)
        .join(Rw, Rt.rw_id == Rw.id)
        .where(visible_to(Rt, viewer))
        .options(selectinload(Rt.rw))
        .order_by(Rw.number, Rt.number)
    )
    return [(rt.id, rt.label) for rt in db.session.scalars(stmt)]


def _submitted(viewer: User) -> sa.Select:
    return (
        scoped_select(Survey, viewer)
        .where(Survey.status == SurveyStatus.SUBMITTED)
        .order_by(Survey.submitted_at, Survey.id)
    )


def queue_page(viewer: User, page: int):
    """The verification queue, one survey per page, oldest submission first."""
    stmt = _submitted(viewer).options(
        selectinload(Survey.members), selectinload(Survey.volunteer), selectinload(Survey.events)
    )
    return db.paginate(stmt, page=page, per_page=1, error_out=False)


def clean_page(viewer: User, page: int):
    """Submitted surveys without any warning, which may be approved together."""
    stmt = (
        _submitted(viewer)
        .where(Survey.flag_count == 0)
        .options(selectinload(Survey.rt).selectinload(Rt.rw), selectinload(Survey.volunteer))
    )
    return db.paginate(stmt, page=page, per_page=50, error_out=False)


def surveys_by_ids(viewer: User, ids: list[int]) -> list[Survey]:
    """The surveys among ids the viewer may see."""
    return list(
        db.session.scalars(
            scoped_select(Survey, viewer)
            .where(Survey.id.in_(ids))
            .options(selectinload(Survey.members))
        )
    )


def export_rows(viewer: User, filters: SurveyFilters) -> Iterator[tuple]:
    """Rows of the filtered list for the spreadsheet, streamed in batches."""
    stmt = (
        filtered_surveys(viewer, filters)
        .join(User, Survey.volunteer_id == User.id)
        .join(Rt, Survey.rt_id == Rt.id)
        .join(Rw, Rt.rw_id == Rw.id)
        .with_only_columns(
            Survey.id,
            Survey.kk_number,
            Rw.number,
            Rt.number,
            Survey.address,
            User.full_name,
            Survey.status,
            Survey.member_count,
            Survey.flag_count,
            Survey.submitted_at,
            Survey.decided_at,
        )
        .execution_options(yield_per=2000)
    )
    yield from db.session.execute(stmt)
