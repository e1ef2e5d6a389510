"""Reads for the sanding pages, every one limited through nutera/scoping.py."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from nutera.identity import mask_name, mask_nik
from nutera.models import (
    OPEN_REVIEWS,
    Enrollment,
    Kelurahan,
    Person,
    Refresh,
    Review,
    RowStatus,
    SandingCandidate,
    SandingDecision,
    SandingRow,
    Setting,
    SourceKind,
    User,
)
from nutera.pagination import Page, paginate_rows
from nutera.sanding import names
from nutera.scoping import visible_to

PER_PAGE = 50


def status_counts(session: Session, refresh_id: int) -> dict[str, int]:
    """Rows per status of one list, in the statuses' order."""
    found = dict(
        session.execute(
            sa.select(SandingRow.status, sa.func.count())
            .where(SandingRow.refresh_id == refresh_id)
            .group_by(SandingRow.status)
        ).all()
    )
    return {str(s): found[s] for s in RowStatus if found.get(s)}


def review_counts(session: Session, refresh_id: int) -> dict[str, int]:
    """Rows per review state of one list."""
    return dict(
        session.execute(
            sa.select(SandingRow.review, sa.func.count())
            .where(SandingRow.refresh_id == refresh_id)
            .group_by(SandingRow.review)
        ).all()
    )


@dataclass(frozen=True)
class ReviewWork:
    """The review work a list holds, as the page warns before validating it again."""

    decisions: dict[str, int]
    waiting_again: int
    held: int
    survey_tasks: int
    enrolments: int

    @property
    def decided(self) -> int:
        return sum(self.decisions.values())


def review_work(session: Session, refresh_id: int) -> ReviewWork:
    """Decisions per kind, rows waiting again or held, survey tasks and enrolments."""
    mine = SandingRow.refresh_id == refresh_id
    decisions = dict(
        session.execute(
            sa.select(SandingRow.decision, sa.func.count())
            .where(mine, SandingRow.decision.is_not(None))
            .group_by(SandingRow.decision)
        ).all()
    )
    waiting, held, tasks = session.execute(
        sa.select(
            sa.func.count().filter(SandingRow.review == Review.TINJAU_ULANG),
            sa.func.count().filter(
                SandingRow.review.in_(OPEN_REVIEWS), SandingRow.assignee_id.is_not(None)
            ),
            sa.func.count(sa.distinct(SandingRow.survey_task_id)),
        ).where(mine)
    ).one()
    enrolments = session.scalar(
        sa.select(sa.func.count(Enrollment.id)).where(
            Enrollment.sanding_row_id.in_(sa.select(SandingRow.id).where(mine))
        )
    )
    return ReviewWork(decisions, waiting, held, tasks, enrolments or 0)


def recipient_lists(session: Session, user: User, page: int) -> Page:
    """The user's recipient-list refreshes, newest first."""
    kind = sa.select(Setting.id).where(
        Setting.kelurahan_id == Refresh.kelurahan_id,
        Setting.key == sa.literal("kind:") + Refresh.source,
        Setting.value.like(f'%"{SourceKind.PENERIMA}"%'),
    )
    query = (
        sa.select(Refresh)
        .where(visible_to(Refresh, user), sa.exists(kind))
        .order_by(Refresh.created_at.desc(), Refresh.id.desc())
    )
    return paginate_rows(session, query, page, 20, scalars=True)


def row_page(
    session: Session, user: User, refresh: Refresh, status: str | None, page: int
) -> Page:
    """One page of a list's rows, optionally of one status."""
    query = (
        sa.select(SandingRow)
        .where(visible_to(SandingRow, user), SandingRow.refresh_id == refresh.id)
        .options(selectinload(SandingRow.person), selectinload(SandingRow.decided_by))
        .order_by(SandingRow.sheet, SandingRow.row_number, SandingRow.id)
    )
    if status:
        query = query.where(SandingRow.status == status)
    return paginate_rows(session, query, page, PER_PAGE, scalars=True)


def queue_page(
    session: Session,
    user: User,
    page: int,
    who: str = "",
    refresh_id: int | None = None,
) -> Page:
    """Rows waiting for a decision: all, the user's own ('saya') or nobody's ('bebas')."""
    query = (
        sa.select(SandingRow)
        .where(visible_to(SandingRow, user), SandingRow.review.in_(OPEN_REVIEWS))
        .options(selectinload(SandingRow.assignee))
        .order_by(SandingRow.review.desc(), SandingRow.id)
    )
    if who == "saya":
        query = query.where(SandingRow.assignee_id == user.id)
    elif who == "bebas":
        query = query.where(SandingRow.assignee_id.is_(None))
    if refresh_id is not None:
        query = query.where(SandingRow.refresh_id == refresh_id)
    return paginate_rows(session, query, page, PER_PAGE, scalars=True)


@dataclass(frozen=True)
class OperatorLoad:
    """One operator's open rows and decisions taken on one day."""

    name: str
    open: int
    decided: int


def operator_counts(
    session: Session, user: User, day_start: datetime, day_end: datetime
) -> list[OperatorLoad]:
    """Per operator: rows held now, and decisions taken between day_start and day_end."""
    held = dict(
        session.execute(
            sa.select(SandingRow.assignee_id, sa.func.count())
            .where(
                visible_to(SandingRow, user),
                SandingRow.review.in_(OPEN_REVIEWS),
                SandingRow.assignee_id.is_not(None),
            )
            .group_by(SandingRow.assignee_id)
        ).all()
    )
    decided = dict(
        session.execute(
            sa.select(SandingDecision.user_id, sa.func.count())
            .where(
                visible_to(SandingDecision, user),
                SandingDecision.decided_at >= day_start,
                SandingDecision.decided_at < day_end,
            )
            .group_by(SandingDecision.user_id)
        ).all()
    )
    ids = {i for i in (*held, *decided) if i is not None}
    names = dict(session.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids))).all())
    return sorted(
        (OperatorLoad(names.get(i, "?"), held.get(i, 0), decided.get(i, 0)) for i in ids),
        key=lambda load: load.name,
    )


def colleagues(session: Session, row: SandingRow) -> list[User]:
    """Staff of the row's kelurahan a row may be handed to."""
    return list(
        session.scalars(
            sa.select(User)
            .where(User.role == "staff", User.kelurahan_id == row.kelurahan_id)
            .order_by(User.full_name)
        )
    )


def candidates_of(session: Session, row: SandingRow) -> list[SandingCandidate]:
    """The row's candidates, best first, with their residents and households."""
    return list(
        session.scalars(
            sa.select(SandingCandidate)
            .where(SandingCandidate.row_id == row.id)
            .options(selectinload(SandingCandidate.person).selectinload(Person.household))
            .order_by(SandingCandidate.score.desc(), SandingCandidate.id)
        )
    )


def decisions_of(session: Session, row: SandingRow) -> list[SandingDecision]:
    """Every decision taken on the row, oldest first."""
    return list(
        session.scalars(
            sa.select(SandingDecision)
            .where(SandingDecision.row_id == row.id)
            .options(selectinload(SandingDecision.user))
            .order_by(SandingDecision.decided_at, SandingDecision.id)
        )
    )


@dataclass(frozen=True)
class PersonView:
    """A resident as the row page shows them beside the row (masked outside the scope)."""

    candidate_id: int | None
    kind: str
    score: int | None
    person_id: int
    nik: str
    name: str
    birth_date: date | None
    kk: str
    rt: str
    address: str
    kelurahan: str
    local: bool
    differs: frozenset[str]


def differences(row: SandingRow, person: Person) -> frozenset[str]:
    """The fields where the list row and the resident disagree."""
    found = set()
    if row.nik != person.nik:
        found.add("nik")
    if names.normalise(row.name) != names.normalise(person.name):
        found.add("name")
    if row.birth_date and row.birth_date != person.birth_date:
        found.add("birth_date")
    household = person.household
    if row.kk and (household is None or household.kk_number != row.kk):
        found.add("kk")
    if row.rt_id and (household is None or household.rt_id != row.rt_id):
        found.add("rt")
    return frozenset(found)


def person_views(
    session: Session, user: User, row: SandingRow, candidates: list[SandingCandidate]
) -> list[PersonView]:
    """The row's resident (when linked) and its candidates, as the row page shows them."""
    entries: list[tuple[SandingCandidate | None, Person]] = [(c, c.person) for c in candidates]
    if row.person is not None and all(c.person_id != row.person_id for c in candidates):
        entries.insert(0, (None, row.person))
    kelurahan_names = dict(session.execute(sa.select(Kelurahan.id, Kelurahan.name)).all())
    views = []
    for candidate, person in entries:
        local = user.is_admin or person.kelurahan_id == user.kelurahan_id
        household = person.household
        views.append(
            PersonView(
                candidate.id if candidate else None,
                candidate.kind_label if candidate else "NIK yang sama",
                candidate.score if candidate else None,
                person.id,
                person.nik if local else mask_nik(person.nik or ""),
                person.name if local else mask_name(person.name),
                person.birth_date,
                (household.kk_number if household else "") if local else "",
                household.rt.label if household and local else "",
                (household.address if household else "") if local else "",
                kelurahan_names.get(person.kelurahan_id, ""),
                local,
                differences(row, person),
            )
        )
    return views


def list_rows_of(session: Session, user: User, person: Person) -> list[SandingRow]:
    """The recipient-list rows that are this resident, newest first."""
    return list(
        session.scalars(
            sa.select(SandingRow)
            .where(visible_to(SandingRow, user), SandingRow.person_id == person.id)
            .order_by(SandingRow.id.desc())
            .limit(50)
        )
    )
