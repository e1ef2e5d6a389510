"""Builders for surveys: form posts as a phone would send them, and stored surveys."""

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from nutera.models import Kelurahan, Rt, Survey, SurveyMember, User
from nutera.surveys.checks import period_of
from nutera.surveys.services import record_event
from nutera.timeutil import local_today
from tests.factories import make_kk, make_nik

HOUSING = {
    "address": "Gg. Sukamaju No. 7",
    "kode_pos": "40116",
    "ownership": "sewa",
    "floor": "semen",
    "wall": "tembok",
    "roof": "seng",
    "water_source": "pdam",
    "toilet": "bersama",
    "electricity_va": "900",
}


def member(
    name: str,
    relation: str = "anak",
    sex: str = "L",
    birth: date = date(1990, 5, 17),
    nik: str | None = None,
    **extra,
) -> dict:
    """One member as typed in the form (NIK matching sex and birth date by default)."""
    return {
        "nik": nik if nik is not None else make_nik(birth, sex),
        "name": name,
        "relation": relation,
        "sex": sex,
        "birth_date": birth.isoformat(),
        "presence": "tinggal",
        "occupation": "Buruh",
        "monthly_income": "1500000",
        **extra,
    }


def form_data(
    rt_id: int, members: list[dict], kk: str | None = None, indices=None, **household
) -> dict:
    """A survey form post; members are numbered by indices (gaps allowed, as after removals)."""
    data = {"kk_number": kk or make_kk(), "rt_id": str(rt_id), **HOUSING, **household}
    for index, row in zip(indices or range(len(members)), members, strict=False):
        for key, value in row.items():
            if value is True:
                data[f"members-{index}-{key}"] = "y"
            elif value not in (False, None):
                data[f"members-{index}-{key}"] = value
    return data


def make_survey(
    session: Session,
    volunteer: User,
    rt: Rt,
    status: str = "submitted",
    kk: str | None = None,
    members: int = 2,
    flag_count: int = 0,
) -> Survey:
    """A stored survey with members, as if submitted through the form."""
    now = datetime.now(UTC)
    survey = Survey(
        kelurahan_id=rt.kelurahan_id,
        rt_id=rt.id,
        volunteer_id=volunteer.id,
        period=period_of(local_today(session.get(Kelurahan, rt.kelurahan_id))),  # its own day
        kk_number=kk or make_kk(),
        address="Jl. Uji 1",
        kode_pos="40116",
        ownership="milik",
        floor="keramik",
        wall="tembok",
        roof="genteng",
        water_source="pdam",
        toilet="sendiri",
        electricity_va=1300,
        member_count=members,
        flag_count=flag_count,
        submitted_at=now if status != "draft" else None,
    )
    relations = ["kepala", "istri", "anak", "anak", "anak"]
    for position in range(members):
        birth = date(1980 + position, 1, 10)
        survey.members.append(
            SurveyMember(
                position=position,
                nik=make_nik(birth, "L"),
                name=f"ANGGOTA {position + 1}",
                relation=relations[position % 5],
                sex="L",
                birth_date=birth,
                monthly_income=1_000_000,
            )
        )
    session.add(survey)
    record_event(survey, volunteer, "draft", "", now)
    if status != "draft":
        record_event(survey, volunteer, "submitted", "", now)
    survey.status = status
    session.flush()
    return survey
