"""Reads for the sanding pages, every one limited through nutera/scoping.py."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from nutera.identity import mask_name, mask_nik
from nutera.models import (
    ENROLLED,
    AidProgram,
    DistributionRecipient,
    Enrollment,
    Handover,
    Household,
    Kelurahan,
    Person,
    ProgramExclusion,
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
from nutera.scoping import visible_kelurahans, visible_to

PER_PAGE = 50
OPEN_REVIEWS = (Review.USULAN, Review.ANTRE)


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
class AidEntry:
    """One program a person received (themselves or through their household)."""

    program: str
    program_name: str
    kelurahan: str
    period_start: date
    period_end: date | None
    status: str
    last_handover: datetime | None
    through_household: bool

    @property
    def summary(self) -> str:
        end = self.period_end.isoformat() if self.period_end else "sekarang"
        return f"{self.program} ({self.period_start.isoformat()} s.d. {end})"


def aid_history(session: Session, person_ids: list[int]) -> dict[int, list[AidEntry]]:
    """Every enrolment of each person or their household, with the last handover (one query)."""
    if not person_ids:
        return {}
    person = Person.__table__
    last_handover = (
        sa.select(
            DistributionRecipient.enrollment_id, sa.func.max(Handover.received_at).label("at")
        )
        .join(Handover, Handover.recipient_id == DistributionRecipient.id)
        .group_by(DistributionRecipient.enrollment_id)
        .subquery()
    )
    query = (
        sa.select(
            person.c.id.label("pid"),
            Enrollment,
            AidProgram.code,
            AidProgram.name,
            Kelurahan.name.label("kelurahan"),
            last_handover.c.at,
        )
        .join(
            Enrollment,
            sa.or_(
                Enrollment.person_id == person.c.id,
                sa.and_(
                    Enrollment.household_id.is_not(None),
                    Enrollment.household_id == person.c.household_id,
                ),
            ),
        )
        .join(AidProgram, AidProgram.id == Enrollment.program_id)
        .join(Kelurahan, Kelurahan.id == Enrollment.kelurahan_id)
        .outerjoin(last_handover, last_handover.c.enrollment_id == Enrollment.id)
        .where(person.c.id.in_(person_ids))
        .order_by(Enrollment.period_start.desc(), Enrollment.id.desc())
    )
    found: dict[int, list[AidEntry]] = defaultdict(list)
    for pid, enrollment, code, name, kelurahan, handed in session.execute(query):
        found[pid].append(
            AidEntry(
                code,
                name,
                kelurahan,
                enrollment.period_start,
                enrollment.period_end,
                enrollment.status,
                handed,
                enrollment.person_id is None,
            )
        )
    return dict(found)


def _enrolled_households() -> sa.Subquery:
    """Active enrolments with the household they benefit (their own, or the person's)."""
    person = Person.__table__
    return (
        sa.select(
            Enrollment.id,
            Enrollment.program_id,
            Enrollment.kelurahan_id,
            sa.func.coalesce(Enrollment.household_id, person.c.household_id).label("hk"),
        )
        .outerjoin(person, person.c.id == Enrollment.person_id)
        .where(Enrollment.status.in_(ENROLLED))
        .subquery()
    )


def exclusive_pairs(session: Session, user: User) -> list[sa.Row]:
    """Households enrolled now in two programs an admin set as mutually exclusive."""
    first, second = _enrolled_households().alias("e1"), _enrolled_households().alias("e2")
    p1, p2 = AidProgram.__table__.alias("p1"), AidProgram.__table__.alias("p2")
    pair = ProgramExclusion.__table__
    kelurahan = Kelurahan.__table__
    query = (
        sa.select(
            Household.id,
            Household.kk_number,
            kelurahan.c.name.label("kelurahan"),
            p1.c.code.label("program_a"),
            p2.c.code.label("program_b"),
        )
        .select_from(first)
        .join(second, sa.and_(second.c.hk == first.c.hk, second.c.id != first.c.id))
        .join(p1, p1.c.id == first.c.program_id)
        .join(p2, p2.c.id == second.c.program_id)
        .join(pair, sa.and_(pair.c.code_a == p1.c.code, pair.c.code_b == p2.c.code))
        .join(Household, Household.id == first.c.hk)
        .join(kelurahan, kelurahan.c.id == Household.kelurahan_id)
        .where(visible_to(Household, user))
        .distinct()
        .order_by(kelurahan.c.name, Household.kk_number, p1.c.code, p2.c.code)
    )
    return list(session.execute(query))


def _visible_kelurahan_ids(user: User) -> sa.Select:
    return visible_kelurahans(user).with_only_columns(Kelurahan.id)


def cross_kelurahan(session: Session, user: User) -> list[sa.Row]:
    """NIKs enrolled now in two kelurahan, or listed in recipient lists of two kelurahan."""
    person = Person.__table__
    mine = _visible_kelurahan_ids(user)
    active = Enrollment.status.in_(ENROLLED)
    # (person, kelurahan enrolling them): their own enrolments and their household's.
    benefit = sa.union_all(
        sa.select(Enrollment.person_id.label("pid"), Enrollment.kelurahan_id.label("kid")).where(
            active, Enrollment.person_id.is_not(None)
        ),
        sa.select(person.c.id, Enrollment.kelurahan_id)
        .join(person, person.c.household_id == Enrollment.household_id)
        .where(active, Enrollment.household_id.is_not(None)),
    ).subquery()
    counted = (
        sa.select(benefit.c.pid, sa.func.count(sa.distinct(benefit.c.kid)).label("places"))
        .group_by(benefit.c.pid)
        .having(
            sa.func.count(sa.distinct(benefit.c.kid)) > 1,
            sa.func.sum(sa.case((benefit.c.kid.in_(mine), 1), else_=0)) > 0,
        )
        .subquery()
    )
    enrolled = (
        sa.select(
            person.c.nik,
            person.c.name,
            counted.c.places,
            sa.literal("kepesertaan").label("source"),
        )
        .join(counted, counted.c.pid == person.c.id)
        .where(person.c.nik.is_not(None))
    )
    row = SandingRow.__table__
    listed = (
        sa.select(
            row.c.nik,
            sa.func.min(row.c.name),
            sa.func.count(sa.distinct(row.c.kelurahan_id)),
            sa.literal("daftar penerima"),
        )
        .join(Refresh, Refresh.id == row.c.refresh_id)
        .where(row.c.nik.is_not(None), row.c.status != RowStatus.GANDA, Refresh.status != "usang")
        .group_by(row.c.nik)
        .having(
            sa.func.count(sa.distinct(row.c.kelurahan_id)) > 1,
            sa.func.sum(sa.case((row.c.kelurahan_id.in_(mine), 1), else_=0)) > 0,
        )
    )
    return list(session.execute(sa.union_all(enrolled, listed).order_by("nik")))


def double_dipping_count(session: Session, user: User) -> int:
    """Households in exclusive programs plus NIKs in two kelurahan, for the dashboard."""
    return len(exclusive_pairs(session, user)) + len(cross_kelurahan(session, user))


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
