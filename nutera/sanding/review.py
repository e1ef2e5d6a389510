"""One-by-one verification: take, assign, release, decide, bulk confirm; enrol valid rows.

Every decision is kept in sanding_decision (who, when, what, why) besides the row's last
one; single decisions are ORM changes the audit log records, bulk ones are audited once.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.audit import Actor, audit_bulk
from nutera.models import (
    OPEN_REVIEWS,
    Decision,
    Kelurahan,
    Person,
    Refresh,
    Review,
    Role,
    RowStatus,
    Rt,
    SandingCandidate,
    SandingDecision,
    SandingRow,
    SurveyTask,
    TaskStatus,
    User,
)
from nutera.sanding import validation
from nutera.sanding.thresholds import Thresholds
from nutera.surveys.services import create_task
from nutera.timeutil import local_today


class SandingError(ValueError):
    """The decision cannot be taken; the message is Indonesian."""


def _require_open(row: SandingRow) -> None:
    if row.review not in OPEN_REVIEWS:
        raise SandingError("Baris ini tidak sedang menunggu verifikasi.")


def _require_free(row: SandingRow, user: User) -> None:
    if row.assignee_id is not None and row.assignee_id != user.id:
        raise SandingError(
            f"Baris ini sedang dikerjakan {row.assignee.full_name}; minta dilepas atau diserahkan."
        )


def take(session: Session, row: SandingRow, user: User, now: datetime) -> None:
    """The operator takes the row to work on (refused while a colleague holds it)."""
    _require_open(row)
    _require_free(row, user)
    row.assignee_id, row.assigned_at = user.id, now
    session.flush()


def assign(session: Session, row: SandingRow, actor: User, colleague: User, now: datetime):
    """Hand the row to a colleague of the row's kelurahan (or an admin)."""
    _require_open(row)
    _require_free(row, actor)
    allowed = colleague.is_admin or (
        colleague.role == Role.STAFF and colleague.kelurahan_id == row.kelurahan_id
    )
    if not allowed or not colleague.is_active:
        raise SandingError("Baris hanya dapat diserahkan ke petugas kelurahan ini.")
    row.assignee_id, row.assigned_at = colleague.id, now
    session.flush()


def release(session: Session, row: SandingRow, actor: User) -> None:
    """Put the row back in the common queue."""
    _require_open(row)
    _require_free(row, actor)
    row.assignee_id, row.assigned_at = None, None
    session.flush()


def _record(
    session: Session,
    row: SandingRow,
    actor: User,
    decision: Decision,
    reason: str,
    now: datetime,
    about: int | None,
) -> None:
    row.decision, row.decision_reason = decision, reason
    row.decided_by_id, row.decided_at = actor.id, now
    row.review, row.assignee_id, row.assigned_at = Review.SELESAI, None, None
    session.add(
        SandingDecision(
            row_id=row.id,
            kelurahan_id=row.kelurahan_id,
            user_id=actor.id,
            decision=decision,
            reason=reason,
            person_id=about,
            decided_at=now,
        )
    )


def _confirm(
    session: Session,
    row: SandingRow,
    candidate_id: int | None,
    thresholds: Thresholds,
) -> str:
    """Link the row to the chosen candidate (or confirm its NIK's resident); re-judge it."""
    if candidate_id is not None:
        candidate = session.scalar(
            sa.select(SandingCandidate).where(
                SandingCandidate.id == candidate_id, SandingCandidate.row_id == row.id
            )
        )
        if candidate is None:
            raise SandingError("Kandidat tidak ditemukan untuk baris ini.")
        person = candidate.person
    elif row.status != RowStatus.NIK_TIDAK_ADA and row.person_id is not None:
        person = row.person
    else:
        raise SandingError("Pilih warga yang dimaksud baris ini.")
    note = ""
    if row.nik != person.nik:
        note = f"NIK dibetulkan dari {row.nik} menjadi {person.nik}."
        row.original_nik = row.original_nik or row.nik
        row.nik = person.nik
    row.person_id, row.identity_confirmed = person.id, True
    row.status, row.reason = None, ""
    session.flush()
    kelurahan = session.get(Kelurahan, row.kelurahan_id)
    validation.classify_matched(
        session, row.refresh_id, kelurahan, thresholds, local_today(kelurahan)
    )
    session.refresh(row)
    if note:
        row.reason = f"{row.reason} {note}".strip()
    return note


def _survey(session: Session, row: SandingRow, actor: User, reason: str) -> None:
    """A survey task for the volunteers of the row's RT (the candidate's when unknown);
    the row's task still open is kept instead of a second one."""
    if row.survey_task_id is not None:
        task = session.get(SurveyTask, row.survey_task_id)
        if task is not None and task.status == TaskStatus.TERBUKA:
            return
    rt_id = row.rt_id
    household = None
    if row.person is not None and row.person.household is not None:
        household = row.person.household
        rt_id = rt_id or household.rt_id
    if rt_id is None:
        raise SandingError("RT baris ini tidak diketahui, jadi survei tidak dapat dikirim.")
    rt = session.get(Rt, rt_id)
    task = create_task(
        session,
        actor,
        rt,
        row.address or (household.address if household else ""),
        subject_name=row.name,
        note=f"Sanding data (daftar {row.refresh_id}, baris {row.row_number}): {reason}",
        household=household,
    )
    task.subject_nik = row.nik if row.nik and len(row.nik) == 16 else None
    task.source, task.source_ref = "sanding", f"sanding-{row.id}"
    row.survey_task_id = task.id


def decide(
    session: Session,
    row: SandingRow,
    actor: User,
    decision: str,
    reason: str,
    now: datetime,
    thresholds: Thresholds,
    candidate_id: int | None = None,
) -> None:
    """Take an operator's decision on a row in the queue; reasons are required except
    for confirming."""
    _require_open(row)
    _require_free(row, actor)
    reason = " ".join((reason or "").split())[:1000]
    if decision not in (Decision.KONFIRMASI, Decision.BUKAN, Decision.SURVEI, Decision.TOLAK):
        raise SandingError("Keputusan tidak dikenal.")
    if decision != Decision.KONFIRMASI and not reason:
        raise SandingError("Tuliskan alasan keputusan ini.")
    about = row.person_id  # the person the decision is about, kept in its history
    if decision == Decision.KONFIRMASI:
        note = _confirm(session, row, candidate_id, thresholds)
        reason = reason or note or "Dikonfirmasi operator."
        about = row.person_id
    elif decision == Decision.BUKAN:
        if candidate_id is not None:
            about = session.scalar(
                sa.select(SandingCandidate.person_id).where(
                    SandingCandidate.id == candidate_id, SandingCandidate.row_id == row.id
                )
            )
            session.execute(
                sa.delete(SandingCandidate).where(
                    SandingCandidate.id == candidate_id, SandingCandidate.row_id == row.id
                )
            )
        elif row.status in (RowStatus.NAMA_BERBEDA, RowStatus.KK_BERBEDA):
            row.person_id = None
        row.reason = f"{row.reason} Operator: bukan warga ini.".strip()
    elif decision == Decision.SURVEI:
        _survey(session, row, actor, reason)
    _record(session, row, actor, Decision(decision), reason, now, about)
    session.flush()


def bulk_confirm(
    session: Session, refresh: Refresh, actor: Actor, now: datetime, thresholds: Thresholds
) -> int:
    """Confirm every row proposed for bulk confirmation (one strong candidate), set-based."""
    row, candidate = SandingRow.__table__, SandingCandidate.__table__
    person = Person.__table__
    proposed = sa.and_(row.c.refresh_id == refresh.id, row.c.review == Review.USULAN)
    ids = list(session.scalars(sa.select(row.c.id).where(proposed)))
    if not ids:
        return 0
    session.execute(
        sa.update(row)
        .where(proposed, candidate.c.row_id == row.c.id, person.c.id == candidate.c.person_id)
        .values(
            original_nik=row.c.nik,
            nik=person.c.nik,
            person_id=person.c.id,
            identity_confirmed=True,
            status=None,
            review=Review.SELESAI,
            decision=Decision.KONFIRMASI_MASSAL,
            decision_reason="Konfirmasi massal: satu kandidat dengan skor tinggi.",
            decided_by_id=actor.user_id,
            decided_at=now,
            assignee_id=None,
            assigned_at=None,
        )
    )
    session.execute(
        sa.insert(SandingDecision.__table__).from_select(
            ["row_id", "kelurahan_id", "user_id", "decision", "reason", "person_id", "decided_at"],
            sa.select(
                row.c.id,
                row.c.kelurahan_id,
                sa.literal(actor.user_id, sa.Integer),
                sa.literal(str(Decision.KONFIRMASI_MASSAL)),
                row.c.decision_reason,
                row.c.person_id,
                sa.literal(now, sa.DateTime(timezone=True)),
            ).where(row.c.id.in_(ids)),
        )
    )
    kelurahan = session.get(Kelurahan, refresh.kelurahan_id)
    validation.classify_matched(session, refresh.id, kelurahan, thresholds, local_today(kelurahan))
    _append_corrections(session, ids)
    audit_bulk(
        session,
        actor,
        "update",
        "sanding_row",
        None,
        refresh.kelurahan_id,
        {"konfirmasi_massal": len(ids), "refresh_id": refresh.id},
    )
    session.flush()
    return len(ids)


def _append_corrections(session: Session, ids: list[int]) -> None:
    row = SandingRow.__table__
    session.execute(
        sa.update(row)
        .where(row.c.id.in_(ids), row.c.original_nik != row.c.nik)
        .values(
            reason=row.c.reason
            + sa.literal(" NIK dibetulkan dari ")
            + row.c.original_nik
            + sa.literal(" menjadi ")
            + row.c.nik
            + sa.literal(".")
        )
    )
