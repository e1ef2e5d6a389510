"""Tingkat Pemerataan Bantuan: counts per program and RW in one GROUP BY, and the ratios.

coverage        = eligible households receiving / eligible households
exclusion error = eligible households not receiving / eligible households
inclusion error = receiving households not meeting the rule / receiving households
spread          = Gini coefficient of coverage across RWs, lowest and highest RW coverage
recent data     = households verified by a survey or confirmed by a refresh within 6 months
The page templates/equity/methodology.html explains them to people.
"""

import json
from collections import defaultdict
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.equity import sqlrules
from nutera.equity.measures import Counts, ProgramIndicator, RwIndicator
from nutera.models import AidProgram, Enrollment, Household, Person, Rt, Rw
from nutera.programs.services import current_rules, settings_for
from nutera.timeutil import to_local

RECENT_MONTHS = 6


def recent_cutoff(now: datetime) -> datetime:
    """Six calendar months before now (the day clamped to the month's length)."""
    month = now.month - RECENT_MONTHS
    year = now.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for day in range(now.day, 27, -1):
        try:
            return now.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return now.replace(year=year, month=month, day=min(now.day, 28))


def _rule_groups(
    session: Session, programs: list[AidProgram]
) -> dict[str, list[tuple[list[int], dict, dict]]]:
    """Per program code: (kelurahan ids, rule tree, settings) sharing the same rule."""
    rules = current_rules(session, [p.id for p in programs])
    settings: dict[int, dict] = {}
    grouped: dict[str, dict[str, tuple[list[int], dict, dict]]] = defaultdict(dict)
    for program in programs:
        rule = rules.get(program.id)
        if rule is None:
            continue
        if program.kelurahan_id not in settings:
            settings[program.kelurahan_id] = settings_for(session, program.kelurahan_id)
        key = json.dumps(
            [rule.tree, settings[program.kelurahan_id], program.target], sort_keys=True
        )
        entry = grouped[program.code].setdefault(
            key, ([], rule.tree, settings[program.kelurahan_id])
        )
        entry[0].append(program.kelurahan_id)
    return {code: list(groups.values()) for code, groups in grouped.items()}


def _by_kelurahan(kelurahan: Any, groups: list[tuple[list[int], Any]]) -> Any:
    """CASE on the kelurahan choosing each group's expression."""
    if len(groups) == 1:
        return groups[0][1]
    return sa.case(*[(kelurahan.in_(ids), expr) for ids, expr in groups], else_=None)


def count_rows(
    session: Session, kelurahan_ids: list[int] | None, today: date, now: datetime
) -> list[tuple[int, int, int, Counts]]:
    """(kelurahan id, RW id, program id, counts) for every active program with a rule.

    One statement for all programs: household facts aggregated from living members, each
    program's rule as a verdict column, enrollments pivoted per program code, summed per
    kelurahan and RW. kelurahan_ids None means the whole city.
    """
    program_stmt = sa.select(AidProgram).where(AidProgram.active.is_(True))
    if kelurahan_ids is not None:
        program_stmt = program_stmt.where(AidProgram.kelurahan_id.in_(kelurahan_ids))
    programs = list(session.scalars(program_stmt))
    groups = _rule_groups(session, programs)
    if not groups:
        return []
    codes = sorted(groups)
    targets = {p.code: p.target for p in programs}
    needed = {
        a
        for entries in groups.values()
        for _, tree, _ in entries
        for a in sqlrules.attributes_used(tree)
    }
    facts = sqlrules.household_facts(today, kelurahan_ids, needed)
    _tune(session)
    attrs = sqlrules.household_attributes(facts)
    h = Household

    received = [_received(code, kelurahan_ids) for code in codes]
    verdicts, joins = [], []
    for i, code in enumerate(codes):
        if targets[code] == "person":
            sub = _person_verdicts(groups[code], facts, today, kelurahan_ids, f"pv_{i}")
            joins.append(sub)
            verdicts.append(sub.c.v)
            continue
        expressions = [
            (ids, sqlrules.verdict(sqlrules.condition(tree, attrs, settings, today)))
            for ids, tree, settings in groups[code]
        ]
        verdicts.append(_by_kelurahan(h.kelurahan_id, expressions))

    living = facts.c.household_id.is_not(None)
    cutoff = recent_cutoff(now)
    recent = sa.or_(h.verified_at >= cutoff, h.refresh_confirmed_at >= cutoff)
    inner = (
        sa.select(
            h.kelurahan_id.label("kelurahan_id"),
            Rt.rw_id.label("rw_id"),
            sa.case((living, 1), else_=0).label("living"),
            sa.case((sa.and_(living, recent), 1), else_=0).label("recent"),
            *[
                # Nobody living: the household meets no criterion.
                sa.case((living, verdicts[i]), else_=0).label(f"v_{i}")
                for i in range(len(codes))
            ],
            *[
                sa.case((h.id.in_(received[i]), 1), else_=0).label(f"r_{i}")
                for i in range(len(codes))
            ],
        )
        .join(Rt, Rt.id == h.rt_id)
        .join(facts, facts.c.household_id == h.id, isouter=True)
    )
    for sub in joins:
        inner = inner.join(sub, sub.c.household_id == h.id, isouter=True)
    if kelurahan_ids is not None:
        inner = inner.where(h.kelurahan_id.in_(kelurahan_ids))
    inner = inner.cte("unit").prefix_with("MATERIALIZED")  # each verdict computed once
    u = inner.c

    def total(cond: Any) -> Any:
        return sa.func.sum(sa.case((cond, 1), else_=0))

    columns = [u.kelurahan_id, u.rw_id, sa.func.sum(u.living), sa.func.sum(u.recent)]
    for i in range(len(codes)):
        v, r = u[f"v_{i}"], u[f"r_{i}"]
        columns += [
            total(v == 1),
            total(r == 1),
            total(sa.and_(v == 1, r == 1)),
            total(sa.and_(r == 1, v == 0)),
            total(sa.and_(u.living == 1, v.is_(None))),
        ]
    stmt = sa.select(*columns).group_by(u.kelurahan_id, u.rw_id)
    program_of = {(p.kelurahan_id, p.code): p.id for p in programs}
    return _unpivot(session.execute(stmt), codes, program_of)


def _unpivot(result, codes: list[str], program_of: dict) -> list[tuple[int, int, int, Counts]]:
    """One (kelurahan, RW, program, counts) per program column of each grouped row."""
    found = []
    for row in result:
        kelurahan_id, rw_id, households, recent_count = row[:4]
        for i, code in enumerate(codes):
            program_id = program_of.get((kelurahan_id, code))
            if program_id is None:
                continue
            eligible, recipients, covered, wrong, unknown = row[4 + 5 * i : 9 + 5 * i]
            values = (households, eligible, recipients, covered, wrong, unknown, recent_count)
            found.append((kelurahan_id, rw_id, program_id, Counts(*(int(v or 0) for v in values))))
    return found


def _tune(session: Session) -> None:
    """SQLite: a page cache big enough to group a city's residents (its default is 2 MB)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA cache_size = -65536")  # 64 MB, this connection


def _received(code: str, kelurahan_ids: list[int] | None) -> sa.Select:
    """Households with an active enrollment in the program (of the KK or of a member).

    Used as `household.id IN (...)`: both databases build the set once and probe it, where
    a join to a grouped subquery made SQLite scan it for every household."""
    member = sa.orm.aliased(Person)
    stmt = (
        sa.select(sa.func.coalesce(Enrollment.household_id, member.household_id))
        .join(AidProgram, AidProgram.id == Enrollment.program_id)
        .join(member, member.id == Enrollment.person_id, isouter=True)
        .where(Enrollment.status == "aktif", AidProgram.code == code)
    )
    if kelurahan_ids is not None:
        stmt = stmt.where(Enrollment.kelurahan_id.in_(kelurahan_ids))
    return stmt


def _person_verdicts(groups, facts, today, kelurahan_ids, name: str) -> sa.Subquery:
    """Per household: 1 if a living member meets the person rule, NULL if unknown, else 0."""
    p = sa.orm.aliased(Person)
    attrs = sqlrules.person_attributes(sqlrules.household_attributes(facts), p)
    expressions = [
        (ids, sqlrules.verdict(sqlrules.condition(tree, attrs, settings, today)))
        for ids, tree, settings in groups
    ]
    v = _by_kelurahan(p.kelurahan_id, expressions)
    stmt = (
        sa.select(
            p.household_id.label("household_id"),
            sa.case(
                (sa.func.sum(sa.case((v == 1, 1), else_=0)) > 0, 1),
                (sa.func.sum(sa.case((v.is_(None), 1), else_=0)) > 0, None),
                else_=0,
            ).label("v"),
        )
        .join(facts, facts.c.household_id == p.household_id)
        .join(Household, Household.id == p.household_id)
        .where(p.status == "hidup")
    )
    if kelurahan_ids is not None:
        stmt = stmt.where(p.kelurahan_id.in_(kelurahan_ids))
    return stmt.group_by(p.household_id).subquery(name)


def program_indicators(
    session: Session, kelurahan_id: int, today: date, now: datetime
) -> list[ProgramIndicator]:
    """Live indicators of a kelurahan's active programs, with every RW listed."""
    return assemble(session, [kelurahan_id], count_rows(session, [kelurahan_id], today, now))


def assemble(
    session: Session, kelurahan_ids: list[int], rows: list[tuple[int, int, int, Counts]]
) -> list[ProgramIndicator]:
    """ProgramIndicators from (kelurahan, RW, program, counts) rows; RWs without data at 0."""
    programs = session.scalars(
        sa.select(AidProgram)
        .where(AidProgram.kelurahan_id.in_(kelurahan_ids), AidProgram.active.is_(True))
        .order_by(AidProgram.kelurahan_id, AidProgram.code)
    ).all()
    rws = session.execute(
        sa.select(Rw.id, Rw.number, Rw.kelurahan_id)
        .where(Rw.kelurahan_id.in_(kelurahan_ids))
        .order_by(Rw.number)
    ).all()
    counts = {(program_id, rw_id): c for _, rw_id, program_id, c in rows}
    with_rule = {program_id for _, _, program_id, _ in rows}
    found = []
    for program in programs:
        if program.id not in with_rule:
            continue
        indicator = ProgramIndicator(program.id, program.code, program.name, program.kelurahan_id)
        for rw_id, number, kelurahan_id in rws:
            if kelurahan_id != program.kelurahan_id:
                continue
            c = counts.get((program.id, rw_id), Counts())
            indicator.rws.append(RwIndicator(rw_id, number, c))
            indicator.total.add(c)
        found.append(indicator)
    return found


def city_indicators(session: Session, today: date, now: datetime) -> dict[int, list]:
    """Every kelurahan's indicators from one statement (for the city's dinas)."""
    rows = count_rows(session, None, today, now)
    ids = sorted({k for k, _, _, _ in rows})
    by_kelurahan: dict[int, list[ProgramIndicator]] = defaultdict(list)
    for indicator in assemble(session, ids, rows) if ids else []:
        by_kelurahan[indicator.kelurahan_id].append(indicator)
    return dict(by_kelurahan)


def local_today(now: datetime, place: object = None) -> date:
    """The calendar day of now in the kelurahan's zone, where it counts ages."""
    return to_local(now, place).date()
