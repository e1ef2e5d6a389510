"""Build the deterministic synthetic Kelurahan Tamansari with bulk statements.

Figures are those its volunteers published: 24,897 residents (12,431 men, 12,466 women)
in 6,598 KK, 2,289 of them in RW 01-05; PKH 1,073 recipients, BST 578, BPNT 385.
"""

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from faker import Faker
from sqlalchemy.orm import Session

from nutera.auth.services import assign_rts, create_user
from nutera.models import (
    AidProgram,
    Enrollment,
    EnrollmentStatus,
    Household,
    Kelurahan,
    Person,
    PersonStatus,
    Rt,
    Rw,
    User,
)
from nutera.programs.services import install_defaults as install_program_defaults
from nutera.volunteers.services import accept_pledge


@dataclass(frozen=True)
class DemoFigures:
    """The published figures the demo reproduces; scaled down for fast tests."""

    residents: int = 24_897
    men: int = 12_431
    households: int = 6_598
    households_rw_01_05: int = 2_289
    rw_count: int = 20
    programs: dict[str, int] = field(
        default_factory=lambda: {"PKH": 1_073, "BST": 578, "BPNT": 385, "ATM-BERAS": 250}
    )


PROGRAMS = {
    "PKH": (
        "Program Keluarga Harapan",
        "household",
        "Bantuan tunai bersyarat untuk keluarga miskin dengan ibu hamil, anak usia "
        "sekolah, lansia atau penyandang disabilitas berat.",
    ),
    "BST": (
        "Bantuan Sosial Tunai",
        "household",
        "Bantuan uang tunai untuk keluarga yang terdampak penurunan penghasilan.",
    ),
    "BPNT": (
        "Bantuan Pangan Non Tunai (Sembako)",
        "household",
        "Bantuan bahan pangan bulanan melalui kartu elektronik di e-warong.",
    ),
    "ATM-BERAS": (
        "ATM Beras",
        "household",
        "Beras gratis dari mesin ATM Beras kelurahan untuk keluarga rentan.",
    ),
}

KELURAHAN = {
    "code": "3273091002",  # Kemendagri 32.73.09.1002: Taman Sari, Bandung Wetan
    "name": "Tamansari",
    "kecamatan": "Bandung Wetan",
    "kota": "Kota Bandung",
    "kode_pos": "40116",
}
REGION_PREFIX = "327309"  # Kota Bandung (32 73), Kecamatan Bandung Wetan (09)
STREETS = [
    "Jl. Tamansari",
    "Jl. Tamansari Bawah",
    "Gg. Sukamaju",
    "Gg. Babakan Siliwangi",
    "Jl. Cihampelas",
    "Gg. Pelesiran",
    "Gg. Kebon Bibit",
    "Jl. Siliwangi",
    "Gg. Cibarengkok",
    "Jl. Taman Hewan",
]
SEED = 40116
# (occupation, monthly income range in rupiah) for working-age adults in the demo.
WORK = [
    ("pedagang kecil", 900_000, 3_000_000),
    ("buruh harian", 800_000, 2_800_000),
    ("ojek/pengemudi", 1_500_000, 4_000_000),
    ("karyawan swasta", 3_500_000, 9_000_000),
    ("asn/tni/polri", 4_500_000, 11_000_000),
    ("tidak bekerja", 0, 0),
    ("ibu rumah tangga", 0, 0),
]


@dataclass
class DemoAccount:
    """A demo login printed for the person who ran the seed."""

    username: str
    password: str
    role: str
    note: str


def _split(total: int, parts: int, rng: random.Random, low: float = 0.7) -> list[int]:
    """Split total into parts positive integers that vary but add up exactly."""
    weights = [rng.uniform(low, 1.3) for _ in range(parts)]
    raw = [total * w / sum(weights) for w in weights]
    counts = [int(x) for x in raw]
    for i in sorted(range(parts), key=lambda i: raw[i] - counts[i], reverse=True)[
        : total - sum(counts)
    ]:
        counts[i] += 1
    return counts


class _NumberMint:
    """Issue unique NIK and KK numbers with valid region, date and serial."""

    def __init__(self) -> None:
        self.serials: dict[str, int] = {}

    def _issue(self, stem: str) -> str:
        serial = self.serials.get(stem, 0) + 1
        self.serials[stem] = serial
        return f"{stem}{serial:04d}"

    def nik(self, birth: date, sex: str) -> str:
        day = birth.day + (40 if sex == "P" else 0)
        return self._issue(f"{REGION_PREFIX}{day:02d}{birth.month:02d}{birth.year % 100:02d}")

    def kk(self, issued: date) -> str:
        return self._issue(f"K{REGION_PREFIX}{issued:%d%m%y}")[1:]


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _household_members(size: int, rng: random.Random, today: date) -> list[tuple[str, str, date]]:
    """(relation, sex, birth date) for the members of one household."""
    head_sex = "L" if rng.random() < 0.86 or size > 1 and rng.random() < 0.5 else "P"
    head_birth = _random_date(rng, date(today.year - 78, 1, 1), date(today.year - 22, 12, 31))
    members = [("kepala", head_sex, head_birth)]
    if size >= 2 and head_sex == "L":
        spouse_birth = min(
            head_birth + timedelta(days=rng.randrange(-1500, 2500)), date(today.year - 19, 12, 31)
        )
        members.append(("istri", "P", spouse_birth))
    while len(members) < size:
        if rng.random() < 0.08:
            # A NIK holds a two-digit year, so nobody in the demo is older than 95.
            parent_birth = max(
                head_birth - timedelta(days=rng.randrange(7300, 12000)),
                date(today.year - 95, 1, 1),
            )
            members.append(("orang_tua", rng.choice("LP"), parent_birth))
            continue
        child_start = head_birth + timedelta(days=365 * 19)
        members.append(
            ("anak", rng.choice("LP"), _random_date(rng, min(child_start, today), today))
        )
    return members


def _balance_sexes(rows: list[dict], men: int, rng: random.Random) -> None:
    """Flip children's sex (and NIK later) so the men/women totals match exactly."""
    surplus = sum(r["sex"] == "L" for r in rows) - men
    source, target = ("L", "P") if surplus > 0 else ("P", "L")
    candidates = [r for r in rows if r["relation"] == "anak" and r["sex"] == source]
    for row in rng.sample(candidates, abs(surplus)):
        row["sex"] = target


def seed_demo(
    session: Session, figures: DemoFigures | None = None, today: date | None = None
) -> list[DemoAccount]:
    """Create the demo kelurahan, residents, programs, enrollments and accounts."""
    figures = figures or DemoFigures()
    today = today or date(2026, 11, 1)
    rng = random.Random(SEED)
    fake = Faker("id_ID")
    fake.seed_instance(SEED)
    mint = _NumberMint()

    kelurahan = Kelurahan(**KELURAHAN)
    session.add(kelurahan)
    session.flush()
    rts_by_rw = _seed_regions(session, kelurahan, figures, rng)

    small_rws = min(5, figures.rw_count)
    household_counts = _split(figures.households_rw_01_05, small_rws, rng) + _split(
        figures.households - figures.households_rw_01_05, figures.rw_count - small_rws, rng
    )
    sizes = _split(figures.residents, figures.households, rng, low=0.25)
    rng.shuffle(sizes)

    household_rows, member_plan = [], []
    for rw_number, count in enumerate(household_counts, start=1):
        rts = rts_by_rw[rw_number]
        for i in range(count):
            rt_id, _ = rts[i % len(rts)]
            issued = _random_date(rng, date(2010, 1, 1), date(2025, 12, 31))
            household_rows.append(
                {
                    "kelurahan_id": kelurahan.id,
                    "rt_id": rt_id,
                    "kk_number": mint.kk(issued),
                    "address": f"{rng.choice(STREETS)} No. {rng.randint(1, 180)}",
                    "kode_pos": KELURAHAN["kode_pos"],
                    **_housing(rng),
                }
            )
            member_plan.append(_household_members(sizes[len(member_plan)], rng, today))

    # render_nulls: rows with and without recorded values share one batched statement.
    household_ids = list(
        session.scalars(
            sa.insert(Household)
            .returning(Household.id, sort_by_parameter_order=True)
            .execution_options(render_nulls=True),
            household_rows,
        )
    )

    person_rows = []
    for household_id, members in zip(household_ids, member_plan, strict=False):
        family_name = fake.last_name()
        for relation, sex, birth in members:
            person_rows.append(
                {
                    "household_id": household_id,
                    "relation": relation,
                    "sex": sex,
                    "birth_date": birth,
                    "family": family_name,
                }
            )
    _balance_sexes(person_rows, figures.men, rng)
    for row in person_rows:
        first = fake.first_name_male() if row["sex"] == "L" else fake.first_name_female()
        row["name"] = f"{first} {row.pop('family')}".upper()
        row["nik"] = mint.nik(row["birth_date"], row["sex"])
        row["kelurahan_id"] = kelurahan.id
        row["status"] = PersonStatus.HIDUP
        row.update(_registry_attributes(row, rng, today))
    session.execute(sa.insert(Person).execution_options(render_nulls=True), person_rows)
    profiles = _household_profiles(person_rows, rng, today)
    session.execute(
        sa.update(Household),
        [{"id": hid, "desil": profile["desil"]} for hid, profile in profiles.items()],
    )

    _seed_programs(session, kelurahan, figures, household_ids, rng, today, profiles)
    install_program_defaults(session, kelurahan)
    return _seed_accounts(session, kelurahan, rts_by_rw)


def _registry_attributes(row: dict, rng: random.Random, today: date) -> dict:
    """Occupation, income, disability and ASN status as the registry might hold them."""
    age = (today - row["birth_date"]).days // 365
    disabled = rng.random() < 0.02
    attributes = {
        "disability": "fisik" if disabled else None,
        "disability_severity": rng.choice(["ringan", "sedang", "berat"]) if disabled else None,
        "is_asn_tni_polri": False,
        "occupation": None,
        "monthly_income": None,
        "maternity": None,
        "in_school": None,
    }
    if row["sex"] == "P" and 19 <= age <= 42 and rng.random() < 0.06:
        attributes["maternity"] = "hamil" if rng.random() < 0.7 else "nifas"
    if 7 <= age <= 18:
        # Most children attend school; a few surveys did not ask yet.
        attributes["in_school"] = (
            None if rng.random() < 0.05 else rng.random() < (0.97 if age <= 15 else 0.8)
        )
    if 18 <= age < 65 and rng.random() < 0.9:  # a tenth of adults: income not recorded yet
        occupation, low, high = rng.choice(WORK)
        attributes.update(
            occupation=occupation,
            monthly_income=rng.randrange(low, high + 1, 50_000) if high else 0,
            is_asn_tni_polri=occupation == "asn/tni/polri",
        )
    return attributes


def _household_profiles(rows: list[dict], rng: random.Random, today: date) -> dict[int, dict]:
    """Per household: a DTSEN decile (ranked by income per capita, noisy; some not listed)
    and whether it has a PKH component, so the enrolments can follow the criteria."""
    members: dict[int, list[dict]] = {}
    for row in rows:
        members.setdefault(row["household_id"], []).append(row)
    per_capita = {}
    for household_id, people in members.items():
        income = sum(p["monthly_income"] or 0 for p in people)
        asn = any(p["is_asn_tni_polri"] for p in people)
        per_capita[household_id] = income / len(people) + (10_000_000 if asn else 0)
    ranked = sorted(per_capita, key=lambda h: per_capita[h] * rng.uniform(0.75, 1.25))
    profiles = {}
    for position, household_id in enumerate(ranked):
        people = members[household_id]
        ages = [(today - p["birth_date"]).days // 365 for p in people]
        component = (
            any(p["maternity"] for p in people)
            or any(a <= 6 for a in ages)
            or any(p["in_school"] for p in people)
            or any(a >= 70 for a in ages)
            or any(p["disability_severity"] == "berat" for p in people)
        )
        desil = min(10, 1 + position * 10 // len(ranked))
        profiles[household_id] = {
            "desil": None if rng.random() < 0.08 else desil,
            "poor": desil <= 4 and not any(p["is_asn_tni_polri"] for p in people),
            "component": component,
        }
    return profiles


def _housing(rng: random.Random) -> dict:
    """Housing indicators for most households (a few not recorded yet)."""
    if rng.random() >= 0.85:
        return dict.fromkeys(
            ("ownership", "floor", "wall", "roof", "water_source", "toilet", "electricity_va")
        )
    return {
        "ownership": rng.choice(["milik", "milik", "sewa", "kos", "menumpang"]),
        "floor": rng.choice(["keramik", "keramik", "semen", "kayu"]),
        "wall": rng.choice(["tembok", "tembok", "setengah", "kayu"]),
        "roof": rng.choice(["genteng", "genteng", "seng", "beton"]),
        "water_source": rng.choice(["pdam", "sumur_bor", "isi_ulang"]),
        "toilet": rng.choice(["sendiri", "sendiri", "bersama"]),
        "electricity_va": rng.choice([450, 900, 900, 1300, 2200]),
    }


def _seed_regions(
    session: Session, kelurahan: Kelurahan, figures: DemoFigures, rng: random.Random
) -> dict[int, list[tuple[int, int]]]:
    rw_ids = list(
        session.scalars(
            sa.insert(Rw).returning(Rw.id, sort_by_parameter_order=True),
            [{"kelurahan_id": kelurahan.id, "number": n} for n in range(1, figures.rw_count + 1)],
        )
    )
    rt_rows = [
        {"kelurahan_id": kelurahan.id, "rw_id": rw_id, "number": rt}
        for rw_id in rw_ids
        for rt in range(1, rng.randint(5, 9) + 1)
    ]
    rt_ids = list(
        session.scalars(sa.insert(Rt).returning(Rt.id, sort_by_parameter_order=True), rt_rows)
    )
    rts_by_rw: dict[int, list[tuple[int, int]]] = {}
    for rt_id, row in zip(rt_ids, rt_rows, strict=False):
        rts_by_rw.setdefault(rw_ids.index(row["rw_id"]) + 1, []).append((rt_id, row["number"]))
    return rts_by_rw


def _seed_programs(
    session: Session,
    kelurahan: Kelurahan,
    figures: DemoFigures,
    household_ids: list[int],
    rng: random.Random,
    today: date,
    profiles: dict[int, dict],
) -> None:
    program_ids = {}
    for code, (name, target, description) in PROGRAMS.items():
        program = AidProgram(
            kelurahan_id=kelurahan.id, code=code, name=name, target=target, description=description
        )
        session.add(program)
        session.flush()
        program_ids[code] = program.id
    collectors = dict(
        session.execute(
            sa.select(Person.household_id, sa.func.min(Person.id))
            .where(
                Person.kelurahan_id == kelurahan.id,
                Person.relation.in_(["istri", "kepala"]),
                sa.or_(Person.relation == "istri", Person.sex == "P"),
            )
            .group_by(Person.household_id)
        ).all()
    )
    heads = dict(
        session.execute(
            sa.select(Person.household_id, Person.id).where(
                Person.kelurahan_id == kelurahan.id, Person.relation == "kepala"
            )
        ).all()
    )
    rows = []
    for code, count in figures.programs.items():
        start = date(today.year, 1, 1) if code != "BST" else date(today.year, 7, 1)
        for household_id in _recipients(code, count, household_ids, profiles, rng):
            rows.append(
                {
                    "kelurahan_id": kelurahan.id,
                    "program_id": program_ids[code],
                    "household_id": household_id,
                    "period_start": start,
                    "collector_id": collectors.get(household_id, heads[household_id]),
                    "status": EnrollmentStatus.AKTIF,
                    "status_reason": "",
                }
            )
    session.execute(sa.insert(Enrollment), rows)


# Share of each program's recipients drawn from households meeting its criteria: the rest
# are the targeting errors a real kelurahan finds (old lists, moved-up families).
TARGETED_SHARE = {"PKH": 0.78, "BPNT": 0.8, "BST": 0.7, "ATM-BERAS": 0.6}


def _recipients(
    code: str, count: int, household_ids: list[int], profiles: dict[int, dict], rng
) -> list[int]:
    """count households, mostly among those meeting the program's criteria."""
    fits = [
        h
        for h in household_ids
        if profiles[h]["poor"] and (profiles[h]["component"] or code != "PKH")
    ]
    targeted = rng.sample(fits, min(len(fits), round(count * TARGETED_SHARE.get(code, 0.5))))
    chosen = set(targeted)
    others = [h for h in household_ids if h not in chosen]
    return targeted + rng.sample(others, count - len(targeted))


def _seed_accounts(
    session: Session, kelurahan: Kelurahan, rts_by_rw: dict[int, list[tuple[int, int]]]
) -> list[DemoAccount]:
    accounts = [
        DemoAccount("admin", secrets.token_urlsafe(9), "admin", "admin seluruh kota"),
        DemoAccount("petugas", secrets.token_urlsafe(9), "staff", "petugas Kel. Tamansari"),
        DemoAccount("relawan1", secrets.token_urlsafe(9), "volunteer", "RW 01, semua RT"),
        DemoAccount("relawan2", secrets.token_urlsafe(9), "volunteer", "RW 02, RT 01-03"),
    ]
    names = {
        "admin": "Admin Nutera",
        "petugas": "Rina Petugas Tamansari",
        "relawan1": "Dimas Relawan",
        "relawan2": "Ayu Relawan",
    }
    users: dict[str, User] = {}
    for account in accounts:
        users[account.username] = create_user(
            session,
            username=account.username,
            full_name=names[account.username],
            password=account.password,
            role=account.role,
            kelurahan=None if account.role == "admin" else kelurahan,
        )
    assign_rts(session, users["relawan1"], [rt_id for rt_id, _ in rts_by_rw[1]])
    assign_rts(session, users["relawan2"], [rt_id for rt_id, _ in rts_by_rw[2][:3]])
    # The demo volunteers stand for volunteers already at work: they accepted the pledge.
    for username in ("relawan1", "relawan2"):
        accept_pledge(session, users[username])
    return accounts


def database_is_empty(session: Session) -> bool:
    """Whether no kelurahan exists yet."""
    return session.scalar(sa.select(Kelurahan.id).limit(1)) is None
