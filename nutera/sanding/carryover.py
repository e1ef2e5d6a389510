"""Validating a list again keeps the review work done on it.

A list is validated again when its column mapping changes, or because the population, the
rules or the exclusion pairs changed. The file is the same, so a new row has its earlier
row at the same sheet and row number. Before the new rows are judged, what pointed at the
earlier rows moves to them: enrolments, the decision history, survey tasks, held rows, and
a confirmed identity (the NIK corrected to the resident's) when the row reads the same and
the resident still has that NIK. After judging, a decision stands when its basis is
unchanged (the row reads the same; for "not this resident", "field survey" and "reject"
also the same status, resident and candidates); otherwise the row waits again as
tinjau_ulang, with why in its reason and in its history. Nothing an operator wrote is
deleted, and no survey task is created twice.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera import changes
from nutera.models import (
    DECISIONS,
    OPEN_REVIEWS,
    ROW_STATUSES,
    Decision,
    Enrollment,
    Person,
    Review,
    SandingCandidate,
    SandingDecision,
    SandingRow,
    SurveyTask,
)
from nutera.models.api import ChangeKind

ROW = SandingRow.__table__
CHUNK = 1000
# What a list row says, as read from the file (the NIK before any correction).
CONTENT = ("nik", "kk", "name", "birth_date", "address", "rt_id", "programs")
IDENTITY = (Decision.KONFIRMASI, Decision.KONFIRMASI_MASSAL)


@dataclass
class Earlier:
    """A row of the earlier validation holding review work, as it stood."""

    id: int
    key: tuple[str, int]
    content: tuple
    nik: str | None
    status: str | None
    person_id: int | None
    review: str
    decision: str | None
    decision_reason: str
    decided_by_id: int | None
    decided_at: datetime | None
    assignee_id: int | None
    assigned_at: datetime | None
    survey_task_id: int | None
    candidates: frozenset[int] = frozenset()
    about: int | None = None  # the person its last decision was about
    note: str = ""  # why it waits again (its last tinjau_ulang entry)


@dataclass
class Carried:
    """What validating again did with the earlier review work."""

    earlier: dict[int, Earlier] = field(default_factory=dict)
    new_of: dict[int, int] = field(default_factory=dict)  # earlier row id -> new row id
    same: set[int] = field(default_factory=set)  # earlier rows whose content is unchanged
    identity: set[int] = field(default_factory=set)  # earlier rows whose identity was applied
    kept: int = 0
    again: int = 0
    gone: int = 0
    enrolments: int = 0

    def counts(self) -> dict[str, int]:
        """For the list's counts and the audit log."""
        return {
            "dipertahankan": self.kept,
            "ditinjau_ulang": self.again,
            "tanpa_baris": self.gone,
            "kepesertaan": self.enrolments,
        }


def last_row_id(session: Session, refresh_id: int) -> int | None:
    """The highest row id of the list's earlier validation (None: never validated)."""
    return session.scalar(sa.select(sa.func.max(ROW.c.id)).where(ROW.c.refresh_id == refresh_id))


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _earlier_rows(session: Session, refresh_id: int, upto: int) -> dict[int, Earlier]:
    mine = sa.select(ROW.c.id).where(ROW.c.refresh_id == refresh_id, ROW.c.id <= upto)
    with_history = sa.select(SandingDecision.row_id).where(SandingDecision.row_id.in_(mine))
    found = session.execute(
        sa.select(ROW).where(
            ROW.c.refresh_id == refresh_id,
            ROW.c.id <= upto,
            sa.or_(
                ROW.c.decision.is_not(None),
                ROW.c.review == Review.TINJAU_ULANG,
                ROW.c.survey_task_id.is_not(None),
                ROW.c.assignee_id.is_not(None),
                ROW.c.id.in_(with_history),
            ),
        )
    )
    earlier = {}
    for row in found:
        read = {name: getattr(row, name) for name in CONTENT}
        read["nik"] = row.original_nik or row.nik
        earlier[row.id] = Earlier(
            row.id,
            (row.sheet, row.row_number),
            tuple(read[name] for name in CONTENT),
            row.nik,
            row.status,
            row.person_id,
            row.review,
            row.decision,
            row.decision_reason,
            row.decided_by_id,
            row.decided_at,
            row.assignee_id,
            row.assigned_at,
            row.survey_task_id,
        )
    return earlier


def _candidates(session: Session, row_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(row_ids):
        for row_id, person_id in session.execute(
            sa.select(SandingCandidate.row_id, SandingCandidate.person_id).where(
                SandingCandidate.row_id.in_(chunk)
            )
        ):
            found[row_id].add(person_id)
    return found


def remember(session: Session, refresh_id: int, upto: int) -> Carried:
    """The earlier rows holding review work, with their candidates and last decisions."""
    carried = Carried(earlier=_earlier_rows(session, refresh_id, upto))
    ids = list(carried.earlier)
    for row_id, persons in _candidates(session, ids).items():
        carried.earlier[row_id].candidates = frozenset(persons)
    for chunk in _chunks(ids):
        for row_id, decision, person_id, reason in session.execute(
            sa.select(
                SandingDecision.row_id,
                SandingDecision.decision,
                SandingDecision.person_id,
                SandingDecision.reason,
            )
            .where(SandingDecision.row_id.in_(chunk))
            .order_by(SandingDecision.decided_at, SandingDecision.id)
        ):
            row = carried.earlier[row_id]
            if decision == Decision.TINJAU_ULANG:
                row.note = reason
            else:
                row.about = person_id
    return carried


def _new_rows(session: Session, refresh_id: int, upto: int) -> dict[tuple[str, int], int]:
    return {
        (sheet, number): row_id
        for sheet, number, row_id in session.execute(
            sa.select(ROW.c.sheet, ROW.c.row_number, ROW.c.id).where(
                ROW.c.refresh_id == refresh_id, ROW.c.id > upto
            )
        )
    }


def _move_enrolments(
    session: Session, refresh_id: int, upto: int, new_rows: dict[tuple[str, int], int]
) -> int:
    """Point enrolments made from earlier rows at the new rows (one bulk update)."""
    earlier = sa.select(ROW.c.id).where(ROW.c.refresh_id == refresh_id, ROW.c.id <= upto)
    # Each linked enrolment's list row (and so its validation, which the API shows) changes:
    # one change-feed entry each, before the bulk update that the flush hook does not see.
    changes.record_bulk(
        session,
        ChangeKind.ENROLLMENT,
        "update",
        sa.select(Enrollment.id, Enrollment.kelurahan_id).where(
            Enrollment.sanding_row_id.in_(earlier)
        ),
    )
    links = session.execute(
        sa.select(Enrollment.id, ROW.c.sheet, ROW.c.row_number)
        .join(ROW, ROW.c.id == Enrollment.sanding_row_id)
        .where(Enrollment.sanding_row_id.in_(earlier))  # read once, then rows by key
    ).all()
    moves = [
        {"id": enrolment_id, "sanding_row_id": new_rows.get((sheet, number))}
        for enrolment_id, sheet, number in links
    ]
    if moves:
        session.execute(sa.update(Enrollment), moves)
    return sum(1 for move in moves if move["sanding_row_id"] is not None)


def carry(session: Session, refresh_id: int, upto: int, carried: Carried) -> None:
    """Before judging: move links, history and confirmed identities to the new rows."""
    new_rows = _new_rows(session, refresh_id, upto)
    carried.enrolments = _move_enrolments(session, refresh_id, upto, new_rows)
    if not carried.earlier:
        return
    carried.new_of = {
        old.id: new_rows[old.key] for old in carried.earlier.values() if old.key in new_rows
    }
    carried.gone = sum(
        1 for old in carried.earlier.values() if old.id not in carried.new_of and old.decision
    )
    olds = list(carried.new_of)
    history = []
    for chunk in _chunks(olds):
        history.extend(
            {"id": decision_id, "row_id": carried.new_of[row_id]}
            for decision_id, row_id in session.execute(
                sa.select(SandingDecision.id, SandingDecision.row_id).where(
                    SandingDecision.row_id.in_(chunk)
                )
            )
        )
    if history:
        session.execute(sa.update(SandingDecision), history)
    tasks = [
        {"id": old.survey_task_id, "source_ref": f"sanding-{carried.new_of[old.id]}"}
        for old in carried.earlier.values()
        if old.survey_task_id and old.id in carried.new_of
    ]
    if tasks:
        session.execute(sa.update(SurveyTask), tasks)
    _compare_content(session, carried)
    updates = [
        {"id": carried.new_of[old.id], "survey_task_id": old.survey_task_id}
        for old in carried.earlier.values()
        if old.survey_task_id and old.id in carried.new_of
    ]
    if updates:
        session.execute(sa.update(SandingRow), updates)
    _apply_identities(session, carried)


def _compare_content(session: Session, carried: Carried) -> None:
    by_new = {new: old for old, new in carried.new_of.items()}
    for chunk in _chunks(list(by_new)):
        for row in session.execute(
            sa.select(ROW.c.id, *(ROW.c[name] for name in CONTENT)).where(ROW.c.id.in_(chunk))
        ):
            old = carried.earlier[by_new[row.id]]
            if tuple(row[1:]) == old.content:
                carried.same.add(old.id)


def _apply_identities(session: Session, carried: Carried) -> None:
    """A confirmed row reading the same gets its resident and corrected NIK again, when
    that resident still has the NIK it was corrected to."""
    confirmed = [
        old
        for old in carried.earlier.values()
        if old.decision in IDENTITY and old.id in carried.same and old.person_id
    ]
    niks: dict[int, str | None] = {}
    for chunk in _chunks([old.person_id for old in confirmed]):
        query = sa.select(Person.id, Person.nik).where(Person.id.in_(chunk))
        niks.update(dict(session.execute(query).all()))
    updates = []
    for old in confirmed:
        if niks.get(old.person_id) != old.nik or old.nik is None:
            continue
        read = old.content[0]
        updates.append(
            {
                "id": carried.new_of[old.id],
                "nik": old.nik,
                "original_nik": read if read != old.nik else None,
                "person_id": old.person_id,
                "identity_confirmed": True,
            }
        )
        carried.identity.add(old.id)
    if updates:
        session.execute(sa.update(SandingRow), updates)


def _label(status: str | None) -> str:
    return ROW_STATUSES.get(status or "", status or "-")


def _why_changed(
    old: Earlier, carried: Carried, status: str | None, person_id: int | None, persons: set[int]
) -> str:
    """Why a decision's basis no longer holds ('' when it does)."""
    if old.id not in carried.same:
        return "isi baris di berkas terbaca lain (pemetaan kolom berubah)"
    if old.decision in IDENTITY:
        if old.id in carried.identity:
            return ""
        return f"warga yang dikonfirmasi tidak lagi ber-NIK {old.nik} di data penduduk"
    if status != old.status:
        return f"status berubah dari {_label(old.status)} menjadi {_label(status)}"
    if person_id != old.person_id:
        return "warga yang dicocokkan dengan baris ini berubah"
    if persons != set(old.candidates):
        return "warga yang mungkin dimaksud (kandidat) berubah"
    return ""


def _fresh(session: Session, new_ids: list[int]) -> dict[int, Any]:
    found = {}
    for chunk in _chunks(new_ids):
        for row in session.execute(
            sa.select(
                ROW.c.id,
                ROW.c.status,
                ROW.c.reason,
                ROW.c.person_id,
                ROW.c.nik,
                ROW.c.original_nik,
                ROW.c.review,
            ).where(ROW.c.id.in_(chunk))
        ):
            found[row.id] = row
    return found


def _kept(old: Earlier, carried: Carried, row: Any, person_id: int | None) -> dict:
    reason = row.reason
    if old.id in carried.identity and row.original_nik:
        reason += f" NIK dibetulkan dari {row.original_nik} menjadi {row.nik}."
    elif old.decision == Decision.BUKAN:
        reason += " Operator: bukan warga ini."
    return {
        "id": carried.new_of[old.id],
        "person_id": person_id,
        "reason": reason.strip(),
        "review": Review.SELESAI,
        "decision": old.decision,
        "decision_reason": old.decision_reason,
        "decided_by_id": old.decided_by_id,
        "decided_at": old.decided_at,
        "assignee_id": None,
        "assigned_at": None,
    }


def _again(old: Earlier, carried: Carried, row: Any, why: str) -> dict:
    label = DECISIONS.get(old.decision or "", old.decision)
    return {
        "id": carried.new_of[old.id],
        "person_id": row.person_id,
        "reason": f"{row.reason} Keputusan sebelumnya ({label}) perlu ditinjau ulang: {why}.",
        "review": Review.TINJAU_ULANG,
        "decision": None,
        "decision_reason": "",
        "decided_by_id": None,
        "decided_at": None,
        "assignee_id": None,
        "assigned_at": None,
    }


def _waiting(old: Earlier, carried: Carried, row: Any) -> dict | None:
    """An undecided earlier row: still waiting again, and still held by its operator."""
    review, reason = row.review, row.reason
    if old.review == Review.TINJAU_ULANG:
        review, reason = Review.TINJAU_ULANG, f"{row.reason} Perlu ditinjau ulang: {old.note}"
    held = old.assignee_id is not None and review in OPEN_REVIEWS
    if review == row.review and not held:
        return None
    return {
        "id": carried.new_of[old.id],
        "review": review,
        "reason": reason.strip(),
        "assignee_id": old.assignee_id if held else None,
        "assigned_at": old.assigned_at if held else None,
    }


def settle(session: Session, kelurahan_id: int, carried: Carried, now: datetime) -> None:
    """After judging: keep each decision whose basis is unchanged; send the others back
    to the queue as tinjau_ulang, saying why (in the reason and the row's history)."""
    by_new = {new: old for old, new in carried.new_of.items()}
    fresh = _fresh(session, list(by_new))
    candidates = _candidates(session, list(by_new))
    decided, waiting, history, dropped = [], [], [], []
    for new_id, old_id in by_new.items():
        old, row = carried.earlier[old_id], fresh[new_id]
        if old.decision is None:
            update = _waiting(old, carried, row)
            if update:
                waiting.append(update)
            continue
        person_id, persons = row.person_id, set(candidates.get(new_id, ()))
        if old.decision == Decision.BUKAN and old.about is not None:
            if old.person_id is None and person_id == old.about:
                person_id = None  # as the decision unlinked the NIK's resident
            if old.about in persons:
                persons.discard(old.about)
                dropped.append(new_id)
        why = _why_changed(old, carried, row.status, person_id, persons)
        if not why:
            decided.append(_kept(old, carried, row, person_id))
            carried.kept += 1
            continue
        decided.append(_again(old, carried, row, why))
        carried.again += 1
        history.append(
            {
                "row_id": new_id,
                "kelurahan_id": kelurahan_id,
                "user_id": None,
                "decision": Decision.TINJAU_ULANG,
                "reason": f"Validasi ulang: {why}.",
                "person_id": None,
                "decided_at": now,
            }
        )
    for chunk in _chunks(dropped):  # the rejected candidate, found again, stays rejected
        pairs = [(new_id, carried.earlier[by_new[new_id]].about) for new_id in chunk]
        session.execute(
            sa.delete(SandingCandidate).where(
                sa.tuple_(SandingCandidate.row_id, SandingCandidate.person_id).in_(pairs)
            )
        )
    for updates in (decided, waiting):
        if updates:
            session.execute(sa.update(SandingRow), updates)
    if history:
        session.execute(sa.insert(SandingDecision.__table__), history)
