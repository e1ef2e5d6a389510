"""Read-side of complaints: the public lookups and the staff queue, always scoped."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from nutera.complaints.sla import working_days_between
from nutera.extensions import db
from nutera.models import (
    Complaint,
    ComplaintNote,
    ComplaintStatus,
    Enrollment,
    Household,
    Kelurahan,
    Person,
    Rt,
    Rw,
    User,
)
from nutera.models.complaints import OPEN_STATUSES
from nutera.scoping import scoped_select
from nutera.timeutil import to_local, utcnow

# The queue's filter for every complaint still waiting on staff (not a stored status).
OPEN_FILTER = "terbuka"

AGE_FILTERS = {3: "Lebih dari 3 hari", 7: "Lebih dari 7 hari", 30: "Lebih dari 30 hari"}


def kelurahan_list() -> list[Kelurahan]:
    """Every kelurahan of the deployment (public information), by name."""
    return list(db.session.scalars(sa.select(Kelurahan).order_by(Kelurahan.name)))


def by_code(code: str) -> Complaint | None:
    """The complaint with this exact tracking code (the code is the only key to it)."""
    return db.session.scalar(
        sa.select(Complaint)
        .where(Complaint.code == code)
        .options(selectinload(Complaint.rt).selectinload(Rt.rw))
    )


def public_answers(complaint: Complaint) -> list[ComplaintNote]:
    """The public answers of one complaint, oldest first (never internal notes)."""
    return list(
        db.session.scalars(
            sa.select(ComplaintNote)
            .where(ComplaintNote.complaint_id == complaint.id, ComplaintNote.public.is_(True))
            .order_by(ComplaintNote.id)
        )
    )


@dataclass(frozen=True)
class PublicRow:
    """What the public list shows of one complaint: no description, no person, no code."""

    category_label: str
    area: str
    received: date
    status_label: str


def _local_day(moment: datetime, tz: str) -> date:
    """The kelurahan's calendar day of a UTC moment (SQLite returns it without a zone)."""
    return to_local(moment, tz).date()


def recent_public(kelurahan_id: int, tz: str, limit: int = 10) -> list[PublicRow]:
    """The latest complaints that are not confidential (rahasia), reduced to their category."""
    stmt = (
        sa.select(Complaint)
        .where(Complaint.kelurahan_id == kelurahan_id, Complaint.confidential.is_(False))
        .options(selectinload(Complaint.rt).selectinload(Rt.rw))
        .order_by(Complaint.id.desc())
        .limit(limit)
    )
    # The day only: an exact time could point at the reporter.
    return [
        PublicRow(
            c.category_label,
            c.rt.rw.label if c.rt else "-",
            _local_day(c.created_at, tz),
            c.status_label,
        )
        for c in db.session.scalars(stmt)
    ]


def overdue_condition(today: date) -> sa.ColumnElement[bool]:
    """Complaints past their verification or answer deadline on that day."""
    return sa.or_(
        sa.and_(Complaint.status == ComplaintStatus.BARU, Complaint.verify_due < today),
        sa.and_(
            Complaint.status.in_((ComplaintStatus.TERVERIFIKASI, ComplaintStatus.DIPROSES)),
            Complaint.answer_due < today,
        ),
    )


@dataclass(frozen=True)
class QueueFilters:
    """The staff queue's filters, all optional."""

    category: str | None = None
    status: str | None = None
    rw: int | None = None
    rt: int | None = None
    older_than_days: int | None = None
    overdue: bool = False
    assigned_to_me: bool = False
    kelurahan_id: int | None = None  # for viewers across kelurahan; scoping still applies


def complaint_queue(viewer: User, filters: QueueFilters, today: date, page: int):
    """A page of the complaints viewer may see, oldest open ones first."""
    stmt = (
        scoped_select(Complaint, viewer)
        .outerjoin(Rt, Complaint.rt_id == Rt.id)
        .outerjoin(Rw, Rt.rw_id == Rw.id)
        .options(
            selectinload(Complaint.rt).selectinload(Rt.rw), selectinload(Complaint.assigned_to)
        )
    )
    if filters.category:
        stmt = stmt.where(Complaint.category == filters.category)
    if filters.status == OPEN_FILTER:
        stmt = stmt.where(Complaint.status.in_(OPEN_STATUSES))
    elif filters.status:
        stmt = stmt.where(Complaint.status == filters.status)
    if filters.rw:
        stmt = stmt.where(Rw.number == filters.rw)
    if filters.rt:
        stmt = stmt.where(Rt.number == filters.rt)
    if filters.older_than_days:
        cutoff = utcnow() - timedelta(days=filters.older_than_days)
        stmt = stmt.where(Complaint.created_at < cutoff)
    if filters.overdue:
        stmt = stmt.where(overdue_condition(today))
    if filters.assigned_to_me:
        stmt = stmt.where(Complaint.assigned_to_id == viewer.id)
    if filters.kelurahan_id:
        stmt = stmt.where(Complaint.kelurahan_id == filters.kelurahan_id)
    open_first = sa.case((Complaint.status.in_(OPEN_STATUSES), 0), else_=1)
    stmt = stmt.order_by(open_first, Complaint.id)
    return db.paginate(stmt, page=page, per_page=25, error_out=False)


def is_overdue(complaint: Complaint, today: date) -> bool:
    """The Python twin of overdue_condition, for one loaded complaint."""
    if complaint.status == ComplaintStatus.BARU:
        return complaint.verify_due < today
    if (
        complaint.status in (ComplaintStatus.TERVERIFIKASI, ComplaintStatus.DIPROSES)
        and complaint.answer_due
    ):
        return complaint.answer_due < today
    return False


def desk_counts(viewer: User, today: date) -> dict[str, int]:
    """Open and overdue complaints in viewer's scope, for the dashboard."""
    base = sa.select(sa.func.count(Complaint.id)).where(
        scoped_select(Complaint, viewer).whereclause
    )
    return {
        "open": db.session.scalar(base.where(Complaint.status.in_(OPEN_STATUSES))) or 0,
        "overdue": db.session.scalar(base.where(overdue_condition(today))) or 0,
    }


def assignable_staff(kelurahan_id: int) -> list[User]:
    """Active staff of one kelurahan, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.kelurahan_id == kelurahan_id, User.role == "staff", User.active.is_(True))
            .order_by(User.full_name)
        )
    )


@dataclass
class RegistryMatches:
    """What a NIK or KK search found inside one kelurahan."""

    persons: list[Person]
    households: list[Household]
    enrollments: list[Enrollment]


def search_registry(viewer: User, kelurahan_id: int, number: str) -> RegistryMatches:
    """Persons (by NIK) and households (by KK) with their enrollments, in viewer's scope."""
    persons = list(
        db.session.scalars(
            scoped_select(Person, viewer)
            .where(Person.kelurahan_id == kelurahan_id, Person.nik == number)
            .options(selectinload(Person.household))
        )
    )
    households = list(
        db.session.scalars(
            scoped_select(Household, viewer).where(
                Household.kelurahan_id == kelurahan_id,
                sa.or_(
                    Household.kk_number == number,
                    Household.id.in_([p.household_id for p in persons if p.household_id]),
                ),
            )
        )
    )
    enrollments = list(
        db.session.scalars(
            scoped_select(Enrollment, viewer)
            .where(
                Enrollment.kelurahan_id == kelurahan_id,
                sa.or_(
                    Enrollment.person_id.in_([p.id for p in persons]),
                    Enrollment.household_id.in_([h.id for h in households]),
                ),
            )
            .options(selectinload(Enrollment.program))
            .order_by(Enrollment.id)
        )
    )
    return RegistryMatches(persons, households, enrollments)


def working_days_left(complaint: Complaint, today: date, holidays: set[date]) -> int | None:
    """Working days until the running deadline (negative: that many late); None when none runs."""
    if complaint.status == ComplaintStatus.BARU:
        due = complaint.verify_due
    elif complaint.status in (ComplaintStatus.TERVERIFIKASI, ComplaintStatus.DIPROSES):
        due = complaint.answer_due
    else:
        return None
    return working_days_between(today, due, holidays) if due else None


def notes_of(complaint: Complaint) -> list[ComplaintNote]:
    """Every note and answer of one complaint with its author, oldest first."""
    return list(
        db.session.scalars(
            sa.select(ComplaintNote)
            .where(ComplaintNote.complaint_id == complaint.id)
            .options(selectinload(ComplaintNote.author))
            .order_by(ComplaintNote.id)
        )
    )
