"""Possible targeting errors per program, found by the rules, and staff decisions on them."""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.audit import Actor, audit_bulk
from nutera.models import (
    ENROLLED,
    AidProgram,
    Enrollment,
    EnrollmentStatus,
    Household,
    Person,
    PersonStatus,
    TargetingCase,
    TargetingDecision,
    TargetingKind,
    User,
)
from nutera.programs import rules
from nutera.programs.attributes import household_context, inclusion_flags, person_context
from nutera.programs.services import current_rules, settings_for
from nutera.timeutil import utcnow

CHUNK = 1000


@dataclass(frozen=True)
class Candidate:
    """A household or person that looks wrongly left out (exclusion) or kept in (inclusion)."""

    kind: str  # exclusion / inclusion
    household_id: int
    person_id: int | None
    enrollment_id: int | None
    explanation: str

    @property
    def key(self) -> tuple[str, int | None, int | None]:
        return self.kind, self.household_id, self.person_id


def _household_chunks(
    session: Session, kelurahan_id: int, rt_ids: list[int] | None, size: int
) -> Iterator[list[Household]]:
    """The kelurahan's households in id order, size at a time (keyset pagination)."""
    last = 0
    while True:
        stmt = (
            sa.select(Household)
            .where(Household.kelurahan_id == kelurahan_id, Household.id > last)
            .order_by(Household.id)
            .limit(size)
        )
        if rt_ids is not None:
            stmt = stmt.where(Household.rt_id.in_(rt_ids))
        chunk = session.scalars(stmt).all()
        if not chunk:
            return
        yield chunk
        last = chunk[-1].id


def _judge(
    enrollment: Enrollment | None,
    verdict: rules.Verdict,
    flags: list[str],
    household_id: int,
    person_id: int | None,
) -> Candidate | None:
    if enrollment is None:
        if verdict.eligible is True:
            return Candidate(
                TargetingKind.EXCLUSION, household_id, person_id, None, verdict.explanation
            )
        return None
    if enrollment.status != EnrollmentStatus.AKTIF:
        return None
    reasons = list(flags)
    if verdict.eligible is False:
        reasons.append(verdict.explanation)
    if reasons:
        return Candidate(
            TargetingKind.INCLUSION, household_id, person_id, enrollment.id, "; ".join(reasons)
        )
    return None


def find_candidates(
    session: Session,
    program: AidProgram,
    today: date,
    rt_ids: list[int] | None = None,
    size: int = CHUNK,
) -> Iterator[Candidate]:
    """Evaluate the program's current rule on every household (or person) of its kelurahan.

    Three queries per chunk of households (households, their persons, their enrollments),
    never one per household. Unknown outcomes (data not recorded) are not candidates.
    """
    rule = current_rules(session, [program.id]).get(program.id)
    settings = settings_for(session, program.kelurahan_id)
    tree = rule.tree if rule else None
    for households in _household_chunks(session, program.kelurahan_id, rt_ids, size):
        ids = [h.id for h in households]
        members: dict[int, list[Person]] = defaultdict(list)
        for person in session.scalars(
            sa.select(Person).where(Person.household_id.in_(ids)).order_by(Person.id)
        ):
            members[person.household_id].append(person)
        enrollments: dict[Any, Enrollment] = {}
        for e in session.scalars(
            sa.select(Enrollment).where(
                Enrollment.program_id == program.id,
                Enrollment.status.in_(ENROLLED),
                sa.or_(
                    Enrollment.household_id.in_(ids),
                    Enrollment.person_id.in_(
                        sa.select(Person.id).where(Person.household_id.in_(ids))
                    ),
                ),
            )
        ):
            enrollments[e.person_id or ("kk", e.household_id)] = e
        for household in households:
            people = members[household.id]
            context = household_context(household, people, today)
            if program.target == "household":
                enrollment = enrollments.get(("kk", household.id))
                verdict = _verdict(tree, context, settings)
                flags = inclusion_flags(people, enrollment.collector_id) if enrollment else []
                found = _judge(enrollment, verdict, flags, household.id, None)
                if found:
                    yield found
                continue
            for person in people:
                enrollment = enrollments.get(person.id)
                if person.status != PersonStatus.HIDUP and enrollment is None:
                    continue
                verdict = _verdict(tree, person_context(person, context, today), settings)
                flags = inclusion_flags(people, person_id=person.id) if enrollment else []
                found = _judge(enrollment, verdict, flags, household.id, person.id)
                if found:
                    yield found


def _verdict(tree: dict | None, context: dict, settings: dict) -> rules.Verdict:
    if tree is None:
        return rules.Verdict(
            rules.UNKNOWN, [rules.Check(rules.UNKNOWN, "program belum punya aturan")]
        )
    return rules.evaluate(tree, context, settings)


@dataclass(frozen=True)
class SyncCounts:
    """What a recomputation changed in the review list."""

    added: int
    updated: int
    removed: int


def sync_cases(
    session: Session, program: AidProgram, user: User, today: date, ip: str | None = None
) -> SyncCounts:
    """Bring the program's rule-sourced review cases in line with the current rule.

    New candidates become open cases; open cases keep their decision history but get the
    new explanation; open rule cases no longer flagged are removed. Decided cases and cases
    from other sources (sanggah, usul, petugas) are never touched.
    """
    existing = {
        (kind, hid, pid): (cid, decision, explanation)
        for cid, kind, hid, pid, decision, explanation in session.execute(
            sa.select(
                TargetingCase.id,
                TargetingCase.kind,
                TargetingCase.household_id,
                TargetingCase.person_id,
                TargetingCase.decision,
                TargetingCase.explanation,
            ).where(TargetingCase.program_id == program.id, TargetingCase.source == "aturan")
        )
    }
    new_rows, updates, seen = [], [], set()
    for candidate in find_candidates(session, program, today):
        seen.add(candidate.key)
        found = existing.get(candidate.key)
        if found is None:
            new_rows.append(
                {
                    "kelurahan_id": program.kelurahan_id,
                    "program_id": program.id,
                    "household_id": candidate.household_id,
                    "person_id": candidate.person_id,
                    "enrollment_id": candidate.enrollment_id,
                    "kind": candidate.kind,
                    "source": "aturan",
                    "explanation": candidate.explanation,
                    "decision": TargetingDecision.TERBUKA,
                    "decision_reason": "",
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                }
            )
        elif found[1] == TargetingDecision.TERBUKA and found[2] != candidate.explanation:
            updates.append(
                {"id": found[0], "explanation": candidate.explanation, "updated_at": utcnow()}
            )
    stale = [
        cid
        for key, (cid, decision, _) in existing.items()
        if key not in seen and decision == TargetingDecision.TERBUKA
    ]
    if new_rows:
        session.execute(sa.insert(TargetingCase), new_rows)
    if updates:
        session.execute(sa.update(TargetingCase), updates)
    if stale:
        session.execute(sa.delete(TargetingCase).where(TargetingCase.id.in_(stale)))
    counts = SyncCounts(len(new_rows), len(updates), len(stale))
    audit_bulk(
        session,
        Actor(user.id, ip),
        "update",
        "targeting_case",
        program.id,
        program.kelurahan_id,
        {
            "program": program.code,
            "added": counts.added,
            "updated": counts.updated,
            "removed": counts.removed,
        },
    )
    session.flush()
    return counts


def decide(
    session: Session, case: TargetingCase, decision: str, reason: str, user: User
) -> TargetingCase:
    """Record a staff decision on a case: who, when and why (audited by the flush hook)."""
    case.decision = decision
    case.decision_reason = reason.strip()
    case.decided_by_id = user.id
    case.decided_at = utcnow()
    session.flush()
    return case
