"""Aid history per person and double dipping across the city, limited through scoping."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

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
    RowStatus,
    SandingRow,
    User,
)
from nutera.pagination import Page, paginate_counted
from nutera.scoping import sees_whole_city, visible_kelurahans, visible_to


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


def _enrolled_households() -> sa.Select:
    """Active enrolments with the household they benefit (their own, or the person's).

    Two branches instead of an outer join to person: the join would be planned as a hash of
    every resident of the city for the few enrolments of single persons."""
    person = Person.__table__
    active = Enrollment.status.in_(ENROLLED)
    return sa.union_all(
        sa.select(
            Enrollment.id,
            Enrollment.program_id,
            Enrollment.kelurahan_id,
            Enrollment.household_id.label("hk"),
        ).where(active, Enrollment.household_id.is_not(None)),
        sa.select(
            Enrollment.id, Enrollment.program_id, Enrollment.kelurahan_id, person.c.household_id
        )
        .join(person, person.c.id == Enrollment.person_id)
        .where(active, Enrollment.household_id.is_(None)),
    )


def exclusive_pairs_stmt(user: User) -> sa.Select:
    """Households enrolled now in two programs an admin set as mutually exclusive.

    One grouping of the enrolments per (household, exclusive pair): the household is listed
    when both codes of the pair occur among its enrolments (min <> max), instead of joining
    every enrolment with every other of its household."""
    enrolled = _enrolled_households().subquery("enrolled")
    program = AidProgram.__table__
    pair = ProgramExclusion.__table__
    found = (
        sa.select(
            enrolled.c.hk,
            pair.c.code_a.label("program_a"),
            pair.c.code_b.label("program_b"),
        )
        .join(program, program.c.id == enrolled.c.program_id)
        .join(pair, program.c.code.in_([pair.c.code_a, pair.c.code_b]))
        .group_by(enrolled.c.hk, pair.c.code_a, pair.c.code_b)
        .having(sa.func.min(program.c.code) != sa.func.max(program.c.code))
        .subquery("found")
    )
    kelurahan = Kelurahan.__table__
    return (
        sa.select(
            Household.id,
            Household.kk_number,
            kelurahan.c.name.label("kelurahan"),
            found.c.program_a,
            found.c.program_b,
        )
        .join(found, found.c.hk == Household.id)
        .join(kelurahan, kelurahan.c.id == Household.kelurahan_id)
        .where(visible_to(Household, user))
        .order_by(kelurahan.c.name, Household.kk_number, found.c.program_a, found.c.program_b)
    )


PAIR_ORDER = ["kelurahan", "kk_number", "program_a", "program_b"]
CROSS_ORDER = ["nik", "source"]


def without_jit(session: Session) -> None:
    """Settings for these reports, for this transaction only, on PostgreSQL: JIT off (the
    planner cannot estimate their HAVING clauses, overrates them and spends ~30 ms compiling
    a 50 ms query) and room to group a city's enrolments in memory instead of on disk."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL jit = off"))
        session.execute(sa.text("SET LOCAL work_mem = '32MB'"))


def exclusive_pairs(session: Session, user: User) -> list[sa.Row]:
    """Every row of exclusive_pairs_stmt."""
    without_jit(session)
    return list(session.execute(exclusive_pairs_stmt(user)))


def exclusive_pairs_page(session: Session, user: User, page: int, per_page: int = 50) -> Page:
    """One page of exclusive_pairs_stmt with the total."""
    without_jit(session)
    return paginate_counted(session, exclusive_pairs_stmt(user), PAIR_ORDER, page, per_page)


def _visible_kelurahan_ids(user: User) -> sa.Select:
    return visible_kelurahans(user).with_only_columns(Kelurahan.id)


def _benefits(mine: sa.Select | None) -> sa.Subquery:
    """(person, kelurahan enrolling them) for every person who might be enrolled by two.

    A person's kelurahan are those of their own enrolments and of their household's. Most
    people have only their household's: they count only when that household is enrolled by
    two kelurahan, so the household enrolments are grouped per household (one row each)
    before any household is expanded into its members. With mine (a viewer who does not see
    the whole city), only households with an enrolment of their kelurahan are grouped: the
    others' members can only be theirs through their own enrolments, taken whole below."""
    person = Person.__table__
    active = Enrollment.status.in_(ENROLLED)
    by_household = (
        sa.select(Enrollment.household_id.label("hid"), Enrollment.kelurahan_id.label("kid"))
        .where(active, Enrollment.household_id.is_not(None))
        .subquery("by_household")
    )
    by_person = (
        sa.select(Enrollment.person_id.label("pid"), Enrollment.kelurahan_id.label("kid"))
        .where(active, Enrollment.person_id.is_not(None))
        .subquery("by_person")
    )
    # min <> max: two kelurahan or more, and a hash aggregate (count DISTINCT needs a sort).
    grouped = by_household
    if mine is not None:
        grouped = (
            sa.select(by_household)
            .where(
                by_household.c.hid.in_(
                    sa.select(Enrollment.household_id).where(
                        active, Enrollment.kelurahan_id.in_(mine)
                    )
                )
            )
            .subquery("grouped")
        )
    split = (
        sa.select(grouped.c.hid)
        .group_by(grouped.c.hid)
        .having(sa.func.min(grouped.c.kid) != sa.func.max(grouped.c.kid))
    )
    return sa.union_all(
        # Members of households enrolled by two kelurahan.
        sa.select(person.c.id.label("pid"), by_household.c.kid.label("kid"))
        .join(by_household, by_household.c.hid == person.c.household_id)
        .where(person.c.household_id.in_(split)),
        # People enrolled themselves: those enrolments, and their household's.
        sa.select(by_person.c.pid, by_person.c.kid),
        sa.select(by_person.c.pid, by_household.c.kid)
        .join(person, person.c.id == by_person.c.pid)
        .join(by_household, by_household.c.hid == person.c.household_id),
    ).subquery("benefit")


def cross_kelurahan_stmt(user: User) -> sa.Select:
    """NIKs enrolled now in two kelurahan, or listed in recipient lists of two kelurahan."""
    person = Person.__table__
    mine = _visible_kelurahan_ids(user)
    benefit = _benefits(None if sees_whole_city(user) else mine)
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
    both = sa.union_all(enrolled, listed).subquery("cross")
    return sa.select(both).order_by(both.c.nik, both.c.source)


def cross_kelurahan(session: Session, user: User) -> list[sa.Row]:
    """Every row of cross_kelurahan_stmt."""
    without_jit(session)
    return list(session.execute(cross_kelurahan_stmt(user)))


def cross_kelurahan_page(session: Session, user: User, page: int, per_page: int = 50) -> Page:
    """One page of cross_kelurahan_stmt with the total."""
    without_jit(session)
    return paginate_counted(session, cross_kelurahan_stmt(user), CROSS_ORDER, page, per_page)


def _count(session: Session, stmt: sa.Select) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))


def double_dipping_count(session: Session, user: User) -> int:
    """Households in exclusive programs plus NIKs in two kelurahan, for the dashboard."""
    without_jit(session)
    return _count(session, exclusive_pairs_stmt(user)) + _count(
        session, cross_kelurahan_stmt(user)
    )
