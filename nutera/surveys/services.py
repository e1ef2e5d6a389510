"""State changes of surveys: start, autosave, submit, and the staff decisions."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import (
    EDITABLE,
    SENT,
    Household,
    Person,
    PersonStatus,
    Residence,
    Rt,
    Survey,
    SurveyMember,
    SurveyStatus,
    SurveyStatusEvent,
    SurveyTask,
    TaskStatus,
    User,
)
from nutera.surveys.checks import period_of
from nutera.surveys.comparison import ACTIVE_STATUSES, compare
from nutera.timeutil import utcnow

HOUSEHOLD_FIELDS = (
    "address",
    "kode_pos",
    "ownership",
    "floor",
    "wall",
    "roof",
    "water_source",
    "toilet",
    "electricity_va",
)
MEMBER_FIELDS = (
    "nik",
    "name",
    "relation",
    "sex",
    "birth_date",
    "occupation",
    "monthly_income",
    "disability",
    "is_asn_tni_polri",
    "disability_severity",
    "maternity",
    "in_school",
)
MAX_DRAFT_PAIRS = 600
MAX_DRAFT_VALUE = 500


class SurveyError(ValueError):
    """A survey action that cannot be carried out; the message is Indonesian."""


def record_event(survey: Survey, user: User | None, status: str, note: str, now: datetime) -> None:
    """Move survey to status and keep the step in its history."""
    survey.status = status
    survey.events.append(
        SurveyStatusEvent(user_id=user.id if user else None, status=status, note=note, at=now)
    )


def _presence(person: Person) -> str:
    if person.status != PersonStatus.HIDUP:
        return person.status
    return "pendatang" if person.residence == Residence.PENDATANG else "tinggal"


def pairs_from_household(household: Household) -> list[list[str]]:
    """Form state prefilled from the registry, so the volunteer only corrects it."""
    pairs = [["kk_number", household.kk_number], ["rt_id", str(household.rt_id)]]
    for key in HOUSEHOLD_FIELDS:
        value = getattr(household, key)
        if value is not None:
            pairs.append([key, str(value)])
    living = [p for p in household.members if p.status == PersonStatus.HIDUP]
    for index, person in enumerate(living):
        prefix = f"members-{index}-"
        for key in MEMBER_FIELDS:
            value = getattr(person, key)
            if key == "is_asn_tni_polri":
                if value:
                    pairs.append([prefix + key, "y"])
            elif key == "in_school":
                if value is not None:
                    pairs.append([prefix + key, "ya" if value else "tidak"])
            elif value is not None:
                pairs.append(
                    [prefix + key, value.isoformat() if isinstance(value, date) else str(value)]
                )
        pairs.append([prefix + "presence", _presence(person)])
        if not person.nik:
            pairs.append([prefix + "no_ktp", "y"])
    return pairs


def start_survey(
    session: Session,
    volunteer: User,
    rt: Rt,
    today: date,
    task: SurveyTask | None = None,
    household: Household | None = None,
    kk_number: str = "",
) -> Survey:
    """The volunteer's open draft of this household (or task) this period, else a new one.

    A new draft is prefilled from the task and the registry household when known. Tapping
    "Survei" twice on the same KK therefore opens the same draft instead of a second one.
    """
    household = household or (task.household if task else None)
    if household is not None and household.rt_id not in {r.id for r in volunteer.assigned_rts}:
        household = None  # a task may point outside the volunteer's RTs: no registry values
    kk_number = household.kk_number if household is not None else kk_number
    existing = open_draft(session, volunteer, period_of(today), kk_number, task)
    if existing is not None:
        return existing
    survey = Survey(
        kelurahan_id=rt.kelurahan_id,
        rt_id=rt.id,
        volunteer_id=volunteer.id,
        period=period_of(today),
        task_id=task.id if task else None,
        kk_number=kk_number or None,
    )
    if household is not None:
        survey.draft = pairs_from_household(household)
    else:
        survey.draft = [
            ["rt_id", str(rt.id)],
            ["kode_pos", rt.rw.kelurahan.kode_pos],
            ["kk_number", kk_number],
        ]
        if task is not None:
            survey.draft += [["address", task.address]] + (
                [["members-0-name", task.subject_name]] if task.subject_name else []
            )
    session.add(survey)
    record_event(survey, volunteer, SurveyStatus.DRAFT, "", utcnow())
    session.flush()
    return survey


def open_draft(
    session: Session,
    volunteer: User,
    period: str,
    kk_number: str = "",
    task: SurveyTask | None = None,
) -> Survey | None:
    """The volunteer's open survey of this KK (or task) in period: a draft or one returned."""
    if not kk_number and task is None:
        return None
    match = Survey.kk_number == kk_number if kk_number else Survey.task_id == task.id
    return session.scalar(
        sa.select(Survey)
        .where(
            Survey.volunteer_id == volunteer.id,
            Survey.period == period,
            Survey.status.in_(("draft", "returned")),
            match,
        )
        .order_by(Survey.id)
        .limit(1)
    )


def _draft_kk(pairs: list[list[str]]) -> str | None:
    """The KK number typed into a draft, when it is a full one."""
    kk = next((value for name, value in pairs if name == "kk_number"), "")
    return kk if len(kk) == 16 and kk.isdigit() else None


def discard_draft(session: Session, survey: Survey, volunteer: User) -> None:
    """Delete a volunteer's own unsent draft (the audit log keeps the deletion)."""
    if survey.status != "draft" or survey.volunteer_id != volunteer.id:
        raise SurveyError("Hanya draf yang belum pernah dikirim yang dapat dibuang.")
    session.delete(survey)
    session.flush()


def save_draft(survey: Survey, pairs: object, now: datetime) -> None:
    """Keep the unsaved form state of an editable survey (list of [name, value] pairs)."""
    if not survey.editable:
        raise SurveyError("Survei ini sudah dikirim dan tidak dapat diubah.")
    if (
        not isinstance(pairs, list)
        or len(pairs) > MAX_DRAFT_PAIRS
        or not all(
            isinstance(p, list)
            and len(p) == 2
            and all(isinstance(x, str) for x in p)
            and len(p[0]) <= 40
            and len(p[1]) <= MAX_DRAFT_VALUE
            for p in pairs
        )
    ):
        raise SurveyError("Format draf tidak sah.")
    survey.draft = [p for p in pairs if p[0] not in ("csrf_token", "photo")]
    survey.draft_saved_at = now
    if survey.status == "draft":
        survey.kk_number = _draft_kk(survey.draft)


def duplicate_survey(session: Session, survey: Survey, kk_number: str):
    """(id, volunteer_id) of another active survey of this KK this period, or None."""
    return session.execute(
        sa.select(Survey.id, Survey.volunteer_id)
        .where(
            Survey.kk_number == kk_number,
            Survey.period == survey.period,
            Survey.id != survey.id,
            Survey.status.in_(SENT),
        )
        .order_by(Survey.id)
    ).first()


def blocking_problems(
    session: Session, survey: Survey, kk_number: str, niks: list[str]
) -> dict[str, str]:
    """What stops a volunteer's submission: the KK already surveyed this period.

    Keys are 'kk_number'. A KK or NIK registered outside the volunteer's RTs or in another
    kelurahan does not stop it and is not mentioned: the survey goes to staff, who see the
    difference. The other survey is named only when it is the volunteer's own.
    """
    problems = {}
    other = duplicate_survey(session, survey, kk_number)
    if other is not None:
        problems["kk_number"] = (
            f"KK ini sudah Anda data periode ini (survei #{other.id})."
            if other.volunteer_id == survey.volunteer_id
            else "KK ini sudah didata periode ini. Hubungi petugas kelurahan bila perlu "
            "didata ulang."
        )
    return problems


def submit_survey(
    session: Session, survey: Survey, volunteer: User, data: dict, now: datetime
) -> None:
    """Store the validated form data on the survey and queue it for verification."""
    claim(session, survey, EDITABLE, SurveyStatus.SUBMITTED, "Survei ini sudah dikirim.")
    survey.kk_number, survey.rt_id = data["kk_number"], data["rt_id"]
    for key in HOUSEHOLD_FIELDS + ("latitude", "longitude", "gps_accuracy_m"):
        setattr(survey, key, data[key])
    survey.members = [
        SurveyMember(
            position=position,
            nik=row["nik"] or None,
            has_ktp=not row["no_ktp"],
            name=row["name"].upper(),
            relation=row["relation"],
            sex=row["sex"],
            birth_date=row["birth_date"],
            occupation=row["occupation"] or "",
            monthly_income=row["monthly_income"],
            disability=row["disability"] or None,
            is_asn_tni_polri=row["is_asn_tni_polri"],
            disability_severity=(row.get("disability_severity") or None)
            if row["disability"]
            else None,
            maternity=row.get("maternity") or None,
            in_school={"ya": True, "tidak": False}.get(row.get("in_school") or ""),
            presence=row["presence"],
            mismatch_confirmed=bool(row["confirm_mismatch"]),
        )
        for position, row in enumerate(data["members"])
    ]
    session.flush()
    comparison = compare(session, survey)
    survey.household_id = comparison.household.id if comparison.household else None
    survey.member_count = len(survey.members)
    survey.flag_count = comparison.flag_count
    survey.draft, survey.draft_saved_at = None, None
    survey.submitted_at = now
    record_event(survey, volunteer, SurveyStatus.SUBMITTED, "", now)
    session.flush()


class SurveyTaken(SurveyError):
    """Another survey of the household for this period was submitted first."""


TAKEN = (
    "KK ini baru saja dikirim dalam survei lain untuk periode ini, sebelum survei Anda. "
    "Isian Anda disimpan sebagai draf; hubungi petugas kelurahan bila KK ini perlu didata "
    "ulang."
)


def submit_once(
    session: Session, survey: Survey, volunteer: User, data: dict, now: datetime
) -> bool:
    """Submit the survey; False when it was already submitted (the same form sent twice).

    The database keeps one active survey per KK and period (uq_survey_kk_period_active): a
    survey that loses that race raises SurveyTaken, with the session rolled back."""
    try:
        submit_survey(session, survey, volunteer, data, now)
        session.flush()
    except SurveyError:  # the claim found it submitted: a concurrent POST of this form won
        session.rollback()
        session.refresh(survey)
        if survey.status in ACTIVE_STATUSES:
            return False
        raise
    except sa.exc.IntegrityError:
        session.rollback()
        session.refresh(survey)
        if survey.status in ACTIVE_STATUSES:
            return False
        raise SurveyTaken(TAKEN) from None
    return True


def claim(
    session: Session, survey: Survey, from_statuses: tuple[str, ...], to_status: str, message: str
) -> None:
    """Move survey on only if it is still in from_statuses in the database (first one wins).

    Two staff deciding the same survey at once: the second UPDATE waits for the first
    transaction's row lock, then matches no row, and that request gets the error.
    """
    moved = session.execute(
        sa.update(Survey)
        .where(Survey.id == survey.id, Survey.status.in_(from_statuses))
        .values(status=to_status)
        .execution_options(synchronize_session=False)
    )
    if survey.status not in from_statuses or moved.rowcount != 1:
        raise SurveyError(message)


def require_submitted(session: Session, survey: Survey, to_status: str) -> None:
    """Claim a submitted survey for a decision, or refuse."""
    claim(
        session,
        survey,
        (SurveyStatus.SUBMITTED,),
        to_status,
        f"Survei #{survey.id} tidak sedang menunggu verifikasi.",
    )


def _decide(
    session: Session, survey: Survey, staff: User, status: str, note: str, now: datetime
) -> None:
    """Claim a submitted survey for staff's decision and record it with its note."""
    require_submitted(session, survey, status)
    survey.staff_note = note
    survey.decided_at, survey.decided_by_id = now, staff.id
    record_event(survey, staff, status, note, now)


def return_survey(session: Session, survey: Survey, staff: User, note: str, now: datetime) -> None:
    """Send a survey back to its volunteer for correction."""
    _decide(session, survey, staff, SurveyStatus.RETURNED, note, now)


def reject_survey(session: Session, survey: Survey, staff: User, note: str, now: datetime) -> None:
    """Refuse a survey for good, with the reason."""
    _decide(session, survey, staff, SurveyStatus.REJECTED, note, now)
    if survey.task is not None and survey.task.status == TaskStatus.TERBUKA:
        survey.task.note = (survey.task.note + f"\nSurvei #{survey.id} ditolak: {note}").strip()


def pairs_from_survey(survey: Survey) -> list[list[str]]:
    """Form state of a survey as last submitted (for a survey returned for correction)."""
    pairs = [["kk_number", survey.kk_number or ""], ["rt_id", str(survey.rt_id)]]
    for key in HOUSEHOLD_FIELDS + ("latitude", "longitude", "gps_accuracy_m"):
        value = getattr(survey, key)
        if value is not None:
            pairs.append([key, str(value)])
    for member in survey.members:
        prefix = f"members-{member.position}-"
        for key in MEMBER_FIELDS + ("presence",):
            value = getattr(member, key)
            if isinstance(value, bool):
                if value:
                    pairs.append([prefix + key, "y"])
            elif value is not None:
                pairs.append(
                    [prefix + key, value.isoformat() if isinstance(value, date) else str(value)]
                )
        if not member.has_ktp:
            pairs.append([prefix + "no_ktp", "y"])
        if member.mismatch_confirmed:
            pairs.append([prefix + "confirm_mismatch", "y"])
    return pairs


def create_task(
    session: Session,
    staff: User,
    rt: Rt,
    address: str,
    subject_name: str = "",
    note: str = "",
    household: Household | None = None,
) -> SurveyTask:
    """A household volunteers of rt should survey."""
    task = SurveyTask(
        kelurahan_id=rt.kelurahan_id,
        rt_id=rt.id,
        address=address,
        subject_name=subject_name,
        note=note,
        source="petugas",
        household_id=household.id if household else None,
        created_by_id=staff.id,
    )
    session.add(task)
    session.flush()
    return task
