"""Approving a survey: the registry takes over what the volunteer found, in one transaction."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import (
    Household,
    Person,
    PersonStatus,
    Residence,
    Survey,
    SurveyMember,
    SurveyStatus,
    TaskStatus,
    User,
)
from nutera.surveys.services import HOUSEHOLD_FIELDS, SurveyError, record_event, require_submitted

_PRESENCE = {
    "tinggal": (PersonStatus.HIDUP, Residence.TETAP),
    "pendatang": (PersonStatus.HIDUP, Residence.PENDATANG),
    "pindah": (PersonStatus.PINDAH, None),
    "meninggal": (PersonStatus.MENINGGAL, None),
}


def _household_for(session: Session, survey: Survey) -> Household:
    household = session.scalar(sa.select(Household).where(Household.kk_number == survey.kk_number))
    if household is not None and household.kelurahan_id != survey.kelurahan_id:
        raise SurveyError(
            "Nomor KK ini terdaftar di kelurahan lain; survei tidak dapat disetujui."
        )
    if household is None:
        household = Household(
            kelurahan_id=survey.kelurahan_id,
            rt_id=survey.rt_id,
            kk_number=survey.kk_number,
            address=survey.address,
            kode_pos=survey.kode_pos,
        )
        session.add(household)
    household.rt_id = survey.rt_id
    for key in HOUSEHOLD_FIELDS:
        setattr(household, key, getattr(survey, key))
    if survey.latitude is not None and survey.longitude is not None:
        household.latitude, household.longitude = survey.latitude, survey.longitude
        household.gps_accuracy_m = survey.gps_accuracy_m
    if survey.house_photo:
        household.house_photo = survey.house_photo
    session.flush()
    return household


def _apply_member(
    person: Person, member: SurveyMember, household: Household, now: datetime
) -> None:
    status, residence = _PRESENCE[member.presence]
    if person.status != status:
        person.status, person.status_changed_at = status, now
    if residence:
        person.residence = residence
    person.household_id = household.id
    person.name, person.sex, person.birth_date = member.name, member.sex, member.birth_date
    person.relation = member.relation
    person.occupation = member.occupation or None
    person.monthly_income = member.monthly_income
    person.disability = member.disability
    person.is_asn_tni_polri = member.is_asn_tni_polri
    person.disability_severity = member.disability_severity
    person.maternity = member.maternity
    person.in_school = member.in_school
    person.has_ktp = member.has_ktp
    person.verified_at = now


def approve_survey(session: Session, survey: Survey, staff: User, now: datetime) -> Household:
    """Write the survey into the registry (previous values go to the audit log) and verify it."""
    require_submitted(session, survey, SurveyStatus.VERIFIED)
    household = _household_for(session, survey)
    niks = [m.nik for m in survey.members if m.nik]
    by_nik = {p.nik: p for p in session.scalars(sa.select(Person).where(Person.nik.in_(niks)))}
    without_nik = {
        (p.name.upper(), p.birth_date): p
        for p in session.scalars(
            sa.select(Person).where(Person.household_id == household.id, Person.nik.is_(None))
        )
    }
    for member in survey.members:
        person = (
            by_nik.get(member.nik)
            if member.nik
            else without_nik.get((member.name.upper(), member.birth_date))
        )
        if person is None:
            person = Person(kelurahan_id=survey.kelurahan_id, nik=member.nik)
            session.add(person)
        elif person.kelurahan_id != survey.kelurahan_id:
            raise SurveyError(f"NIK anggota {member.name} terdaftar di kelurahan lain.")
        _apply_member(person, member, household, now)
    household.verified_at = now
    survey.household_id = household.id
    survey.decided_at, survey.decided_by_id = now, staff.id
    record_event(survey, staff, SurveyStatus.VERIFIED, "", now)
    if survey.task is not None and survey.task.status == TaskStatus.TERBUKA:
        survey.task.status, survey.task.completed_at = TaskStatus.SELESAI, now
        survey.task.household_id = household.id
    session.flush()
    return household


def approve_many(session: Session, surveys: list[Survey], staff: User, now: datetime) -> int:
    """Approve the clean (unflagged, submitted) surveys among those given; returns how many."""
    approved = 0
    for survey in surveys:
        if survey.status == SurveyStatus.SUBMITTED and survey.flag_count == 0:
            approve_survey(session, survey, staff, now)
            approved += 1
    return approved
