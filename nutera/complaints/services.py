"""Complaint state changes: filing, the staff workflow and conversions into work items.

Every function takes the session and the acting user explicitly, adds and flushes; the
caller commits. Staff changes reach the audit log through the session's actor.
"""

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.complaints import sla
from nutera.models import (
    Complaint,
    ComplaintNote,
    ComplaintPhoto,
    ComplaintStatus,
    Enrollment,
    Household,
    Person,
    Setting,
    SurveyTask,
    TargetingCase,
    TargetingKind,
    User,
)
from nutera.storage import UploadError, save_image, stored_path
from nutera.timeutil import local_today, utcnow  # noqa: F401 (local_today: callers)

CODE_ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B look-alikes
CODE_LENGTH = 10  # 24**10 ~ 6.3e13 codes: about 46 bits, never guessable by enumeration
CODE_PREFIX = "NTR"
MAX_PHOTOS = 3
HOLIDAY_SETTING = "hari_libur"

# Status changes staff may make directly; 'dijawab' is reached only by a public answer.
TRANSITIONS = {
    ComplaintStatus.BARU: {ComplaintStatus.TERVERIFIKASI, ComplaintStatus.DITOLAK},
    ComplaintStatus.TERVERIFIKASI: {ComplaintStatus.DIPROSES, ComplaintStatus.DITOLAK},
    ComplaintStatus.DIPROSES: {ComplaintStatus.DITOLAK},
    ComplaintStatus.DIJAWAB: {ComplaintStatus.SELESAI, ComplaintStatus.DIPROSES},
    ComplaintStatus.SELESAI: set(),
    ComplaintStatus.DITOLAK: set(),
}
ANSWERABLE = {ComplaintStatus.TERVERIFIKASI, ComplaintStatus.DIPROSES, ComplaintStatus.DIJAWAB}


class ComplaintError(ValueError):
    """A complaint action that cannot be done; the message is Indonesian and says why."""


@dataclass(frozen=True)
class ComplaintInput:
    """What a resident typed into the public form, already validated."""

    kelurahan_id: int
    rt_id: int | None
    category: str
    description: str
    subject_name: str = ""
    subject_nik: str | None = None
    subject_address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    confidential: bool = False


def new_code() -> str:
    """A fresh random tracking code such as 'NTR-K7XMA-3PC9R'."""
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    half = CODE_LENGTH // 2
    return f"{CODE_PREFIX}-{body[:half]}-{body[half:]}"


def normalize_code(text: str | None) -> str | None:
    """The canonical form of a code a resident typed (any case, spaces, dashes), or None."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if raw.startswith(CODE_PREFIX):
        raw = raw[len(CODE_PREFIX) :]
    if len(raw) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in raw):
        return None
    half = CODE_LENGTH // 2
    return f"{CODE_PREFIX}-{raw[:half]}-{raw[half:]}"


def holidays_for(session: Session, kelurahan_id: int) -> set[date]:
    """Holidays from the 'hari_libur' settings of the deployment and of the kelurahan."""
    values = session.scalars(
        sa.select(Setting.value).where(
            Setting.key == HOLIDAY_SETTING,
            sa.or_(Setting.kelurahan_id.is_(None), Setting.kelurahan_id == kelurahan_id),
        )
    )
    found: set[date] = set()
    for value in values:
        found |= sla.parse_holidays(value)
    return found


def _unused_code(session: Session) -> str:
    for _ in range(5):
        code = new_code()
        if session.scalar(sa.select(Complaint.id).where(Complaint.code == code)) is None:
            return code
    raise RuntimeError("could not draw an unused complaint code")  # 5 collisions: broken RNG


def file_complaint(
    session: Session,
    data: ComplaintInput,
    photos: list[BinaryIO],
    today: date,
    holidays: Collection[date] = (),
) -> Complaint:
    """Store a resident's complaint and its photos; raises UploadError for a bad photo."""
    if len(photos) > MAX_PHOTOS:
        raise UploadError(f"Paling banyak {MAX_PHOTOS} foto.")
    stored = []
    try:
        for photo in photos:
            stored.append(save_image(photo, "complaint"))
    except UploadError:
        for image in stored:
            stored_path(image.path).unlink(missing_ok=True)
        raise
    complaint = Complaint(
        code=_unused_code(session),
        kelurahan_id=data.kelurahan_id,
        rt_id=data.rt_id,
        category=data.category,
        description=data.description,
        subject_name=data.subject_name,
        subject_nik=data.subject_nik,
        subject_address=data.subject_address,
        reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone,
        anonymous=data.anonymous,
        confidential=data.confidential,
        status=ComplaintStatus.BARU,
        verify_due=sla.verify_deadline(today, holidays),
    )
    complaint.photos = [
        ComplaintPhoto(
            kelurahan_id=data.kelurahan_id,
            path=image.path,
            sha256=image.sha256,
            width=image.width,
            height=image.height,
        )
        for image in stored
    ]
    session.add(complaint)
    session.flush()
    return complaint


def _require_transition(complaint: Complaint, new_status: str) -> None:
    if new_status not in TRANSITIONS[complaint.status]:
        raise ComplaintError(
            f"Status tidak dapat diubah dari «{complaint.status_label}» ke yang diminta."
        )


def verify(
    session: Session, complaint: Complaint, today: date, holidays: Collection[date] = ()
) -> None:
    """Mark the complaint verified and start the answer clock."""
    _require_transition(complaint, ComplaintStatus.TERVERIFIKASI)
    complaint.status = ComplaintStatus.TERVERIFIKASI
    complaint.verified_at = utcnow()
    complaint.answer_due = sla.answer_deadline(today, holidays)
    session.flush()


def start_processing(session: Session, complaint: Complaint) -> None:
    """Mark the complaint in progress (also reopens an answered one)."""
    _require_transition(complaint, ComplaintStatus.DIPROSES)
    complaint.status = ComplaintStatus.DIPROSES
    session.flush()


def reject(session: Session, complaint: Complaint, reason: str) -> None:
    """Reject the complaint; the reason is shown on the public status page."""
    reason = reason.strip()
    if not reason:
        raise ComplaintError("Alasan penolakan wajib diisi.")
    _require_transition(complaint, ComplaintStatus.DITOLAK)
    complaint.status = ComplaintStatus.DITOLAK
    complaint.reject_reason = reason
    complaint.closed_at = utcnow()
    session.flush()


def close(session: Session, complaint: Complaint) -> None:
    """Close an answered complaint."""
    _require_transition(complaint, ComplaintStatus.SELESAI)
    complaint.status = ComplaintStatus.SELESAI
    complaint.closed_at = utcnow()
    session.flush()


def public_answer_refusal(complaint: Complaint) -> str | None:
    """Why a public answer cannot be sent now, or None when it can."""
    if complaint.status not in ANSWERABLE:
        if complaint.status in ("selesai", "ditolak"):
            return "Pengaduan sudah ditutup; tidak dapat dijawab lagi secara publik."
        return "Verifikasi pengaduan dulu sebelum menjawab secara publik."
    return None


def usul_refusal(complaint: Complaint) -> str | None:
    """Why a proposal cannot become a survey task now, or None when it can."""
    if complaint.category != "usul":
        return "Hanya usulan (usul) yang dapat dijadikan tugas pendataan."
    if complaint.survey_task_id is not None:
        return "Usulan ini sudah menjadi tugas pendataan."
    if complaint.rt_id is None:
        return "RT usulan belum diketahui."
    return _worked_on_refusal(complaint)


def sanggah_refusal(complaint: Complaint) -> str | None:
    """Why a rebuttal cannot go to the targeting review now, or None when it can."""
    if complaint.category != "sanggah":
        return "Hanya sanggahan yang dapat masuk daftar tinjauan sasaran."
    if complaint.targeting_case_id is not None:
        return "Sanggahan ini sudah ada di daftar tinjauan sasaran."
    if complaint.enrollment_id is None:
        return "Tautkan dulu kepesertaan bantuan yang disanggah."
    return _worked_on_refusal(complaint)


def _worked_on_refusal(complaint: Complaint) -> str | None:
    if complaint.status == "baru":
        return "Pengaduan harus sudah diverifikasi dulu."
    if complaint.status in ("selesai", "ditolak"):
        return "Pengaduan sudah ditutup."
    return None


def add_note(
    session: Session, complaint: Complaint, author: User, body: str, public: bool
) -> ComplaintNote:
    """An internal note, or a public answer (which marks the complaint answered)."""
    body = body.strip()
    if not body:
        raise ComplaintError("Isi catatan atau jawaban wajib diisi.")
    if public:
        refusal = public_answer_refusal(complaint)
        if refusal:
            raise ComplaintError(refusal)
        complaint.status = ComplaintStatus.DIJAWAB
        complaint.answered_at = complaint.answered_at or utcnow()
    note = ComplaintNote(
        kelurahan_id=complaint.kelurahan_id,
        complaint=complaint,
        author_id=author.id,
        public=public,
        body=body,
    )
    session.add(note)
    session.flush()
    return note


def assign(session: Session, complaint: Complaint, assignee: User | None, actor: User) -> None:
    """Give the complaint to a staff member of its kelurahan (None: unassigned).

    Once assigned, only the assignee or an admin may hand it on: the assignee is the one
    person who sees an anonymous reporter, so colleagues cannot take it over to look.
    """
    if complaint.assigned_to_id not in (None, actor.id) and not actor.is_admin:
        raise ComplaintError(
            "Pengaduan ini sudah ditangani petugas lain; hanya dia atau admin "
            "yang dapat mengalihkannya."
        )
    if assignee is not None and not (
        assignee.is_staff and assignee.active and assignee.kelurahan_id == complaint.kelurahan_id
    ):
        raise ComplaintError("Hanya petugas aktif kelurahan ini yang dapat ditugasi.")
    complaint.assigned_to_id = assignee.id if assignee else None
    session.flush()


def link(
    session: Session,
    complaint: Complaint,
    *,
    person: Person | None = None,
    household: Household | None = None,
    enrollment: Enrollment | None = None,
) -> None:
    """Link the complaint to the person, household or enrollment it concerns."""
    for record in (person, household, enrollment):
        if record is not None and record.kelurahan_id != complaint.kelurahan_id:
            raise ComplaintError("Data yang dipilih bukan dari kelurahan pengaduan ini.")
    if enrollment is not None:
        person = person or enrollment.person
        household = household or enrollment.household
        complaint.enrollment_id = enrollment.id
    if person is not None:
        complaint.person_id = person.id
        household = household or person.household
    if household is not None:
        complaint.household_id = household.id
    session.flush()


def _attach(session: Session, complaint: Complaint, work_item) -> None:
    """Store the work item made from the complaint; a verified complaint is now in progress."""
    session.add(work_item)
    session.flush()
    if complaint.status == ComplaintStatus.TERVERIFIKASI:
        complaint.status = ComplaintStatus.DIPROSES


def convert_usul(session: Session, complaint: Complaint, actor: User, note: str) -> SurveyTask:
    """Turn a proposal (usul) into a survey task for the volunteers of its RT."""
    refusal = usul_refusal(complaint)
    if refusal:
        raise ComplaintError(refusal)
    task = SurveyTask(
        kelurahan_id=complaint.kelurahan_id,
        rt_id=complaint.rt_id,
        household_id=complaint.household_id,
        subject_name=complaint.subject_name,
        subject_nik=complaint.subject_nik,
        address=complaint.subject_address,
        note=note.strip() or f"Usulan warga melalui pengaduan {complaint.code}.",
        source="usul",
        source_ref=complaint.code,
        created_by_id=actor.id,
    )
    _attach(session, complaint, task)
    complaint.survey_task_id = task.id
    session.flush()
    return task


def convert_sanggah(session: Session, complaint: Complaint, explanation: str) -> TargetingCase:
    """Put the linked enrollment of a rebuttal (sanggah) on the targeting review list."""
    refusal = sanggah_refusal(complaint)
    if refusal:
        raise ComplaintError(refusal)
    enrollment = complaint.enrollment
    case = TargetingCase(
        kelurahan_id=complaint.kelurahan_id,
        program_id=enrollment.program_id,
        enrollment_id=enrollment.id,
        household_id=enrollment.household_id or complaint.household_id,
        person_id=enrollment.person_id or complaint.person_id,
        kind=TargetingKind.INCLUSION,
        source="sanggah",
        source_ref=complaint.code,
        explanation=explanation.strip() or f"Sanggahan warga melalui pengaduan {complaint.code}.",
    )
    _attach(session, complaint, case)
    complaint.targeting_case_id = case.id
    session.flush()
    return case


def set_holidays(session: Session, days: Collection[date]) -> Setting:
    """Replace the deployment-wide holiday list used by the service-level clock."""
    setting = session.scalar(
        sa.select(Setting).where(Setting.kelurahan_id.is_(None), Setting.key == HOLIDAY_SETTING)
    )
    if setting is None:
        setting = Setting(kelurahan_id=None, key=HOLIDAY_SETTING, value="")
        session.add(setting)
    setting.value = " ".join(day.isoformat() for day in sorted(days))
    session.flush()
    return setting
