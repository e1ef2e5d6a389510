"""The resident's NIK lookup (cek bansos) and self-check: plain functions, no request."""

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from rapidfuzz.distance import Levenshtein

from nutera import hotsql
from nutera.formatting import number_id
from nutera.identity import mask_name
from nutera.models import (
    ENROLLMENT_STATUSES,
    FLOORS,
    HOUSE_OWNERSHIP,
    AidProgram,
    DistributionRecipient,
    Enrollment,
    Handover,
    Household,
    Person,
    Rt,
    Rw,
)

_JOINING = re.compile(r"['`\u2018\u2019]")
_NOT_LETTER = re.compile(r"[^A-Z]+")


def normalise_name(text: str) -> str:
    """Upper case, accents and apostrophes dropped, other punctuation and spaces collapsed."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return _NOT_LETTER.sub(" ", _JOINING.sub("", text).upper()).strip()


def names_match(typed: str, registered: str) -> bool:
    """Whether typed is the registered full name, forgiving one typo per 8 letters.

    A first name alone never matches a name of several words, however close it is.
    """
    return _normalised_names_match(normalise_name(typed), normalise_name(registered))


def _normalised_names_match(typed: str, registered: str) -> bool:
    if not typed or not registered:
        return False
    if len(registered.split()) > 1 and " " not in typed and typed != registered.replace(" ", ""):
        return False  # one word for a several-word name: only the words run together
    allowed_typos = len(registered) // 8
    return Levenshtein.distance(typed, registered, score_cutoff=allowed_typos) <= allowed_typos


def nik_digest(nik: str, secret_key: str) -> str:
    """A keyed hash of the NIK for the lookup log (the NIK itself is never logged)."""
    # HMAC-SHA256 as hmac.new(key, nik, sha256) gives it, from a copy of the keyed state
    # (the key's padding hashed once per key, not once per NIK: a batch hashes 100).
    keyed = _keyed_sha256(secret_key).copy()
    keyed.update(nik.encode())
    return keyed.hexdigest()


@lru_cache(maxsize=4)
def _keyed_sha256(secret_key: str) -> hmac.HMAC:
    return hmac.new(secret_key.encode(), digestmod=hashlib.sha256)


@dataclass(frozen=True)
class ProgramStatus:
    """One program a person or their household is enrolled in."""

    code: str
    name: str
    status: str
    status_label: str
    period_start: date
    period_end: date | None
    received_at: datetime | None = None  # the last recorded handover for this enrollment


@dataclass(frozen=True)
class LookupResult:
    """What a resident may see about themselves: never full name, address, KK or family."""

    masked_name: str
    rt_label: str
    programs: list[ProgramStatus] = field(default_factory=list)

    @property
    def last_handover(self) -> ProgramStatus | None:
        """The program whose aid was handed over most recently, if any."""
        received = [p for p in self.programs if p.received_at is not None]
        return max(received, key=lambda p: p.received_at) if received else None


_person, _household = Person.__table__, Household.__table__
_rt, _rw = Rt.__table__, Rw.__table__
_enrollment, _program = Enrollment.__table__, AidProgram.__table__
_handover, _recipient = Handover.__table__, DistributionRecipient.__table__
# Latest original (not correction) handover of the enrollment on the same row.
_RECEIVED_AT = (
    sa.select(sa.func.max(_handover.c.received_at))
    .select_from(_handover.join(_recipient, _recipient.c.id == _handover.c.recipient_id))
    .where(_recipient.c.enrollment_id == _enrollment.c.id, _handover.c.corrects_id.is_(None))
    .scalar_subquery()
)
# Built once: the lookup is a hot public page and building a statement costs more than
# running it. Plain Core tables skip the ORM layer. One query by the uniquely indexed NIK
# brings the person, RT/RW and enrollments (one row per enrollment, or one row of NULLs),
# whether or not the name will match, so both "not found" cases cost the same.
_COLUMNS = (
    _person.c.name,
    _rt.c.number,
    _rw.c.number,
    _program.c.code,
    _program.c.name,
    _enrollment.c.status,
    _enrollment.c.period_start,
    _enrollment.c.period_end,
    _RECEIVED_AT,
)
_FROM = (
    _person.outerjoin(_household, _household.c.id == _person.c.household_id)
    .outerjoin(_rt, _rt.c.id == _household.c.rt_id)
    .outerjoin(_rw, _rw.c.id == _rt.c.rw_id)
    .outerjoin(
        _enrollment,
        sa.or_(
            _enrollment.c.person_id == _person.c.id,
            _enrollment.c.household_id == _person.c.household_id,
        ),
    )
    .outerjoin(_program, _program.c.id == _enrollment.c.program_id)
)
_ORDER = (_enrollment.c.period_start.desc(), _program.c.code)
_LOOKUP = (
    sa.select(*_COLUMNS)
    .select_from(_FROM)
    .where(_person.c.nik == sa.bindparam("nik"))
    .order_by(*_ORDER)
)
# A batch: the same rows for many NIKs in one query, each row led by its NIK (built once,
# the NIKs and kelurahan bound as expanding parameters).
_BATCH = (
    sa.select(_person.c.nik, *_COLUMNS)
    .select_from(_FROM)
    .where(_person.c.nik.in_(sa.bindparam("niks", expanding=True)))
    .order_by(_person.c.nik, *_ORDER)
)
_BATCH_IN = _BATCH.where(_person.c.kelurahan_id.in_(sa.bindparam("kelurahan", expanding=True)))


# The same lookup for a machine client that may see only some kelurahan.
_LOOKUP_IN = _LOOKUP.where(_person.c.kelurahan_id.in_(sa.bindparam("kelurahan", expanding=True)))


def lookup(
    connection: sa.Connection, nik: str, name: str, kelurahan_ids: list[int] | None = None
) -> LookupResult | None:
    """The masked status of the person with this NIK if name matches too, else None.

    An unknown NIK and a known NIK with the wrong name both give None, so callers
    cannot tell them apart. With kelurahan_ids, a person of another kelurahan is unknown.
    """
    if kelurahan_ids is None:
        rows = hotsql.rows(connection, _LOOKUP, {"nik": nik})  # compiled once: hotsql.py
    else:
        rows = connection.execute(_LOOKUP_IN, {"nik": nik, "kelurahan": kelurahan_ids}).all()
    return _result(rows, name)


def lookup_many(
    connection: sa.Connection, items: list[tuple[str, str]], kelurahan_ids: list[int] | None
) -> list[LookupResult | None]:
    """lookup() for each (nik, name) in order, in one query whatever the batch's size."""
    niks = sorted({nik for nik, _ in items})
    if kelurahan_ids is None:
        rows = connection.execute(_BATCH, {"niks": niks})
    else:
        rows = connection.execute(_BATCH_IN, {"niks": niks, "kelurahan": kelurahan_ids})
    by_nik: dict[str, list] = {}
    for row in rows:
        by_nik.setdefault(row[0], []).append(row[1:])
    return [_result(by_nik.get(nik, []), name) for nik, name in items]


def _result(rows, name: str) -> LookupResult | None:
    if not rows:
        return None
    registered = normalise_name(rows[0][0])
    if not _normalised_names_match(normalise_name(name), registered):
        return None
    rt, rw = rows[0][1:3]
    programs = [
        ProgramStatus(
            code, pname, status, ENROLLMENT_STATUSES.get(status, status), start, end, received_at
        )
        for _, _, _, code, pname, status, start, end, received_at in rows
        if code is not None
    ]
    rt_label = f"RT {rt:02d}/RW {rw:02d}" if rt is not None else "-"
    return LookupResult(mask_name(registered), rt_label, programs)


OCCUPATIONS = [
    "pedagang kecil",
    "buruh harian",
    "ojek/pengemudi",
    "karyawan swasta",
    "asn/tni/polri",
    "tidak bekerja",
    "lainnya",
]
ELECTRICITY = [450, 900, 1300, 2200]
_BOOLEANS = {
    "has_asn_tni_polri": "asn",
    "has_disability": "disabilitas",
    "has_elderly": "lansia",
    "has_school_child": "sekolah",
    "has_toddler": "balita",
    "has_ktp": "ktp",
    # The composition the PKH components ask about.
    "has_pregnant": "hamil",
    "has_child_0_6": "anak_dini",
    "has_student": "bersekolah",
    "has_elderly_70": "lansia70",
    "has_severe_disability": "disabilitas_berat",
}
DECILES = list(range(1, 11))


def _amount(text: str) -> int | None:
    digits = re.sub(r"[\s.]|^rp", "", (text or "").strip().lower())
    return int(digits) if digits.isdigit() else None


def self_check_context(answers: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Rule attributes from a resident's answers (unanswered = unknown), and input errors."""
    errors: dict[str, str] = {}
    members = _amount(answers.get("anggota", ""))
    if members is None or not 1 <= members <= 30:
        errors["anggota"] = "Isi jumlah anggota keluarga (1-30)."
    income = None
    if (answers.get("penghasilan") or "").strip():
        income = _amount(answers["penghasilan"])
        if income is None:
            errors["penghasilan"] = "Isi dengan angka, misalnya 2.500.000, atau kosongkan."
    age = None
    if (answers.get("usia") or "").strip():
        age = _amount(answers["usia"])
        if age is None or not 0 < age < 120:
            errors["usia"] = "Isi usia dalam tahun, atau kosongkan."
    occupation = answers.get("pekerjaan") if answers.get("pekerjaan") in OCCUPATIONS else None
    context: dict[str, Any] = {
        "member_count": members,
        "household_income": income,
        "monthly_income": None,
        "income_per_capita": round(income / members) if income is not None and members else None,
        "head_occupation": occupation,
        "occupation": occupation,
        "age": age,
        "ownership": answers.get("rumah") if answers.get("rumah") in HOUSE_OWNERSHIP else None,
        "floor": answers.get("lantai") if answers.get("lantai") in FLOORS else None,
        "electricity_va": int(answers["listrik"])
        if answers.get("listrik", "").isdigit()
        else None,
    }
    for key, name in _BOOLEANS.items():
        answer = answers.get(name)
        context[key] = {"ya": True, "tidak": False}.get(answer)
    desil = answers.get("desil", "")
    context["desil"] = int(desil) if desil.isdigit() and int(desil) in DECILES else None
    context["disability"] = context["has_disability"]
    context["is_asn_tni_polri"] = context["has_asn_tni_polri"]
    return context, errors


def electricity_label(va: int) -> str:
    """'900 VA', or '2.200 VA ke atas' for the top choice."""
    return f"{number_id(va)} VA" + (" ke atas" if va == ELECTRICITY[-1] else "")
