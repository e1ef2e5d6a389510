"""Rows whose resident fails the published criteria of the list's program, with the rule,
and rows whose criteria cannot be checked because their data was never recorded.

The program's current rule is evaluated as the targeting review does, a chunk of rows at a
time (rows, persons, households' members: three queries per chunk, never one per row).
The rule is three-valued (nutera/programs/rules.py): an outcome that needs data nobody
recorded is neither a failure nor a pass; the row is belum_tercatat, naming what is
missing, and waits in the queue (a field survey records it).
"""

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import AidProgram, Household, Person, Review, RowStatus, SandingRow
from nutera.programs import rules
from nutera.programs.attributes import household_context, person_context
from nutera.programs.services import current_rules, settings_for

CHUNK = 1000


def _programs(session: Session, refresh_id: int, kelurahan_id: int) -> list[AidProgram]:
    """The kelurahan's programs some open matched row of the list names."""
    listed = session.scalars(
        sa.select(SandingRow.programs)
        .where(
            SandingRow.refresh_id == refresh_id,
            SandingRow.status.is_(None),
            SandingRow.person_id.is_not(None),
            SandingRow.programs != "",
        )
        .distinct()
    )
    codes = {code for text in listed for code in text.split(",") if code}
    if not codes:
        return []
    return list(
        session.scalars(
            sa.select(AidProgram).where(
                AidProgram.kelurahan_id == kelurahan_id, AidProgram.code.in_(codes)
            )
        )
    )


def _unrecorded(row_id: int, notes: list[str]) -> dict:
    return {
        "id": row_id,
        "status": RowStatus.BELUM_TERCATAT,
        "review": Review.ANTRE,
        "reason": " ".join(notes) + " Perlu dilengkapi, misalnya dengan survei lapangan.",
    }


def _note(program: AidProgram, missing: list[str]) -> str:
    return f"Kriteria {program.code} belum dapat diperiksa: {'; '.join(missing)}."


def _failures(
    session: Session,
    program: AidProgram,
    tree: dict,
    rows: list[tuple[int, int]],
    today: date,
    unknown: dict[int, list[str]],
) -> list[dict]:
    """The rows failing the rule; rows it cannot decide get a note in unknown."""
    settings = settings_for(session, program.kelurahan_id)
    persons = {
        p.id: p
        for p in session.scalars(sa.select(Person).where(Person.id.in_(r for _, r in rows)))
    }
    household_ids = {p.household_id for p in persons.values() if p.household_id}
    members: dict[int, list[Person]] = defaultdict(list)
    for member in session.scalars(sa.select(Person).where(Person.household_id.in_(household_ids))):
        members[member.household_id].append(member)
    households = {
        h.id: h
        for h in session.scalars(sa.select(Household).where(Household.id.in_(household_ids)))
    }
    failed = []
    for row_id, person_id in rows:
        person = persons[person_id]
        household = households.get(person.household_id)
        if household is None:
            unknown[row_id].append(_note(program, ["keluarga (KK) warga ini belum tercatat"]))
            continue
        context = household_context(household, members[household.id], today)
        if program.target == "person":
            context = person_context(person, context, today)
        verdict = rules.evaluate(tree, context, settings)
        if verdict.eligible is False:
            failed.append(
                {
                    "id": row_id,
                    "status": RowStatus.TIDAK_MEMENUHI,
                    "reason": f"Tidak memenuhi kriteria {program.code}: {verdict.explanation}.",
                }
            )
        elif verdict.eligible is None:
            unknown[row_id].append(_note(program, verdict.unrecorded))
    return failed


def mark_failing(session: Session, refresh_id: int, kelurahan_id: int, today: date) -> int:
    """Set tidak_memenuhi on open matched rows failing their program's current rule, and
    belum_tercatat on those whose rule needs data nobody recorded."""
    programs = _programs(session, refresh_id, kelurahan_id)
    trees = current_rules(session, [p.id for p in programs])
    marked = 0
    # A definite failure of any program wins over data missing for another.
    unknown: dict[int, list[str]] = defaultdict(list)
    failing: set[int] = set()
    for program in programs:
        rule = trees.get(program.id)
        if rule is None:
            continue
        last = 0
        while True:
            rows = session.execute(
                sa.select(SandingRow.id, SandingRow.person_id)
                .where(
                    SandingRow.refresh_id == refresh_id,
                    SandingRow.status.is_(None),
                    SandingRow.person_id.is_not(None),
                    SandingRow.programs.like(f"%,{program.code},%"),
                    SandingRow.id > last,
                )
                .order_by(SandingRow.id)
                .limit(CHUNK)
            ).all()
            if not rows:
                break
            last = rows[-1][0]
            failed = _failures(
                session, program, rule.tree, [tuple(r) for r in rows], today, unknown
            )
            if failed:
                session.execute(sa.update(SandingRow), failed)
                failing.update(f["id"] for f in failed)
                marked += len(failed)
    undecided = [_unrecorded(i, notes) for i, notes in unknown.items() if i not in failing]
    if undecided:
        session.execute(sa.update(SandingRow), undecided)
    return marked + len(undecided)
