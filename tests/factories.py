"""Small builders for test data; they add and flush, the caller commits."""

import itertools
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from nutera.auth.services import assign_rts
from nutera.models import AidProgram, Enrollment, Household, Kelurahan, Person, Rt, Rw, User
from nutera.volunteers.services import accept_pledge

PASSWORD = "kata-sandi-uji-123"
_serials = itertools.count(1)


def make_nik(
    birth: date = date(1985, 3, 14),
    sex: str = "L",
    prefix: str = "327302",
    serial: int | None = None,
) -> str:
    """A structurally valid NIK for a person born on birth with that sex."""
    day = birth.day + (40 if sex == "P" else 0)
    serial = next(_serials) if serial is None else serial
    return f"{prefix}{day:02d}{birth:%m%y}{serial % 10000 or 1:04d}"


def make_kk(
    prefix: str = "327302", issued: date = date(2015, 6, 1), serial: int | None = None
) -> str:
    """A structurally valid KK number."""
    serial = next(_serials) if serial is None else serial
    return f"{prefix}{issued:%d%m%y}{serial % 10000 or 1:04d}"


def make_kelurahan(
    session: Session, code: str, name: str, rts_per_rw: tuple[int, ...] = (2, 1)
) -> Kelurahan:
    """A kelurahan with RWs numbered from 1, each with the given number of RTs."""
    kelurahan = Kelurahan(
        code=code, name=name, kecamatan="Bandung Wetan", kota="Kota Bandung", kode_pos="40116"
    )
    session.add(kelurahan)
    session.flush()
    for rw_number, rt_count in enumerate(rts_per_rw, start=1):
        rw = Rw(kelurahan_id=kelurahan.id, number=rw_number)
        session.add(rw)
        session.flush()
        for rt_number in range(1, rt_count + 1):
            session.add(Rt(kelurahan_id=kelurahan.id, rw_id=rw.id, number=rt_number))
    session.flush()
    return kelurahan


def rt_of(kelurahan: Kelurahan, rw: int, rt: int) -> Rt:
    """The RT rt of RW rw in kelurahan."""
    return next(r for w in kelurahan.rws if w.number == rw for r in w.rts if r.number == rt)


def make_household(
    session: Session, rt: Rt, members: list[dict] | None = None, kk_number: str | None = None
) -> Household:
    """A household in rt with members given as Person keyword dicts (a head by default)."""
    household = Household(
        kelurahan_id=rt.kelurahan_id,
        rt_id=rt.id,
        kk_number=kk_number or make_kk(),
        address="Jl. Uji No. 1",
        kode_pos="40116",
    )
    session.add(household)
    session.flush()
    for spec in members or [{"name": "BUDI SANTOSO", "relation": "kepala"}]:
        make_person(session, household, **spec)
    return household


def make_person(
    session: Session,
    household: Household,
    name: str = "WARGA UJI",
    sex: str = "L",
    birth_date: date = date(1985, 3, 14),
    relation: str = "anak",
    status: str = "hidup",
    nik: str | None = None,
) -> Person:
    """A person in household with a NIK matching sex and birth date."""
    person = Person(
        kelurahan_id=household.kelurahan_id,
        household_id=household.id,
        nik=nik or make_nik(birth_date, sex),
        name=name,
        sex=sex,
        birth_date=birth_date,
        relation=relation,
        status=status,
    )
    session.add(person)
    session.flush()
    return person


def make_program(
    session: Session, kelurahan: Kelurahan, code: str = "PKH", target: str = "household"
) -> AidProgram:
    program = AidProgram(
        kelurahan_id=kelurahan.id, code=code, name=f"Program {code}", target=target, description=""
    )
    session.add(program)
    session.flush()
    return program


def enroll(
    session: Session, program: AidProgram, household: Household, status: str = "aktif"
) -> Enrollment:
    enrollment = Enrollment(
        kelurahan_id=program.kelurahan_id,
        program_id=program.id,
        household_id=household.id,
        period_start=date(2026, 1, 1),
        status=status,
    )
    session.add(enrollment)
    session.flush()
    return enrollment


_PASSWORD_HASH = generate_password_hash(PASSWORD)


def make_user(
    session: Session,
    username: str,
    role: str,
    kelurahan: Kelurahan | None,
    kecamatan_code: str | None = None,
) -> User:
    """An account with PASSWORD (hashed once per run: scrypt is slow on purpose)."""
    user = User(
        username=username,
        full_name=username.title(),
        role=role,
        kelurahan_id=kelurahan.id if kelurahan else None,
        kecamatan_code=kecamatan_code,
        password_hash=_PASSWORD_HASH,
    )
    session.add(user)
    session.flush()
    if role == "volunteer":  # volunteers at work have accepted the confidentiality pledge
        accept_pledge(session, user)
    return user


@dataclass
class World:
    """Ids of what build_world made (ids, not ORM objects, so tests can use any session)."""

    kelurahan_id: int
    other_kelurahan_id: int
    usernames: dict[str, str]
    user_ids: dict[str, int]
    household_ids: dict[str, int] = field(default_factory=dict)
    person_ids: dict[str, int] = field(default_factory=dict)


def build_world(session: Session) -> World:
    """Tamansari (RW 01: RT 01, RT 02; RW 02: RT 01) and Lebakgede, with one account per role.

    The volunteer is assigned to RT 01/RW 01 only. Households: 'assigned' (RT 01/RW 01),
    'unassigned' (RT 01/RW 02) and 'other' (in Lebakgede). 'dinas' reads the whole city,
    'kecamatan' the kecamatan of Tamansari (327302; Lebakgede lies in 327303).
    """
    tamansari = make_kelurahan(session, "3273021003", "Tamansari")
    lebakgede = make_kelurahan(session, "3273031002", "Lebakgede", rts_per_rw=(1,))
    users = {
        "admin": make_user(session, "admin", "admin", None),
        "staff": make_user(session, "petugas", "staff", tamansari),
        "volunteer": make_user(session, "relawan", "volunteer", tamansari),
        "other_staff": make_user(session, "petugas.lain", "staff", lebakgede),
        "dinas": make_user(session, "dinsos", "dinas", None),
        "kecamatan": make_user(session, "camat", "kecamatan", None, "327302"),
    }
    assign_rts(session, users["volunteer"], [rt_of(tamansari, 1, 1).id])
    households = {
        "assigned": make_household(
            session,
            rt_of(tamansari, 1, 1),
            [
                {
                    "name": "SITI AMINAH",
                    "sex": "P",
                    "relation": "kepala",
                    "birth_date": date(1980, 2, 1),
                }
            ],
        ),
        "unassigned": make_household(session, rt_of(tamansari, 2, 1)),
        "other": make_household(session, rt_of(lebakgede, 1, 1)),
    }
    return World(
        kelurahan_id=tamansari.id,
        other_kelurahan_id=lebakgede.id,
        usernames={role: user.username for role, user in users.items()},
        user_ids={role: user.id for role, user in users.items()},
        household_ids={key: h.id for key, h in households.items()},
        person_ids={key: h.members[0].id for key, h in households.items()},
    )
