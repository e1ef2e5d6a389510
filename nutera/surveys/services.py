"""State changes of surveys: start, autosave, submit, and the staff decisions."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.identity import mask_nik
from nutera.models import (
    Household,
    Person,
    Rt,
    Survey,
    SurveyMember,
    SurveyStatusEvent,
    SurveyTask,
    User,
)
from nutera.models.base import utcnow
from nutera.surveys.checks import period_of
from nutera.surveys.comparison import ACTIVE_STATUSES, compare

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
    if person.status != "hidup":
        return person.status
    return "pendatang" if person.residence == "pendatang" else "tinggal"


def pairs_from_household(household: Household) -> list[list[str]]:
    """Form state prefilled from the registry, so the volunteer only corrects it."""
    pairs = [["kk_number", household.kk_number], ["rt_id", str(household.rt_id)]]
    for key in HOUSEHOLD_FIELDS:
        value = getattr(household, key)
        if value is not None:
            pairs.append([key, str(value)])
    living = [p for p in household.members if p.status == "hidup"]
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
    """A new draft in rt, prefilled from the task and the registry household when known."""
    survey = Survey(
        kelurahan_id=rt.kelurahan_id,
        rt_id=rt.id,
        volunteer_id=volunteer.id,
        period=period_of(today),
        task_id=task.id if task else None,
    )
    household = household or (task.household if task else None)
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
    record_event(survey, volunteer, "draft", "", utcnow())
    session.flush()
    return survey


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


def duplicate_survey(session: Session, survey: Survey, kk_number: str):
    """(id, volunteer's full_name) of another active survey of this KK this period, or None."""
    return session.execute(
        sa.select(Survey.id, User.full_name)
        .join(User, Survey.volunteer_id == User.id)
        .where(
            Survey.kk_number == kk_number,
            Survey.period == survey.period,
            Survey.id != survey.id,
            Survey.status.in_(ACTIVE_STATUSES),
        )
        .order_by(Survey.id)
    ).first()


def blocking_problems(
    session: Session, survey: Survey, kk_number: str, niks: list[str]
) -> dict[str, str]:
    """Duplicates that stop a submission: KK surveyed this period, KK or NIK of another kelurahan.

    Keys are 'kk_number' or 'members-<index>-nik' (index into niks).
    """
    problems = {}
    other = duplicate_survey(session, survey, kk_number)
    if other is not None:
        problems["kk_number"] = (
            f"KK ini sudah didata periode ini oleh {other.full_name} (survei #{other.id})."
        )
    kk_kelurahan = session.scalar(
        sa.select(Household.kelurahan_id).where(Household.kk_number == kk_number)
    )
    if kk_kelurahan is not None and kk_kelurahan != survey.kelurahan_id:
        problems["kk_number"] = "Nomor KK ini terdaftar di kelurahan lain."
    foreign = set(
        session.scalars(
            sa.select(Person.nik).where(
                Person.nik.in_([n for n in niks if n]), Person.kelurahan_id != survey.kelurahan_id
            )
        )
    )
    for index, nik in enumerate(niks):
        if nik in foreign:
            problems[f"members-{index}-nik"] = (
                f"NIK {mask_nik(nik)} terdaftar di kelurahan lain. Warga perlu mengurus "
                "pindah datang terlebih dahulu."
            )
    return problems


def submit_survey(
    session: Session, survey: Survey, volunteer: User, data: dict, now: datetime
) -> None:
    """Store the validated form data on the survey and queue it for verification."""
    claim(session, survey, ("draft", "returned"), "submitted", "Survei ini sudah dikirim.")
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
    record_event(survey, volunteer, "submitted", "", now)
    session.flush()


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
        ("submitted",),
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
    _decide(session, survey, staff, "returned", note, now)


def reject_survey(session: Session, survey: Survey, staff: User, note: str, now: datetime) -> None:
    """Refuse a survey for good, with the reason."""
    _decide(session, survey, staff, "rejected", note, now)
    if survey.task is not None and survey.task.status == "terbuka":
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
