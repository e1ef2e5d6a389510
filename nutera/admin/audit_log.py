"""The audit log as people read it: filters, one scoped page of entries, readable changes."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from nutera.extensions import db
from nutera.formatting import date_id
from nutera.models import AuditLog, User
from nutera.scoping import scoped_select, visible_to
from nutera.timeutil import day_end_utc, day_start_utc

PER_PAGE = 30
MAX_PAGE = 100_000  # a page number beyond this is refused by SQLite as an OFFSET
# Sign-ins, 2FA, refused pages and downloads are recorded with this action, the event's
# name in ``entity`` (see nutera.security).
SECURITY_ACTION = "security"
# A machine client of the integration API read personal data (nutera.api.reads).
API_READ_ACTION = "api_read"

ACTION_LABELS = {
    "create": "dibuat",
    "update": "diubah",
    "delete": "dihapus",
    "commit": "diterapkan",
    "revert": "dibatalkan",
    SECURITY_ACTION: "kejadian keamanan",
    API_READ_ACTION: "dibaca lewat API",
}

# The "jenis" filter: URL value -> (label, condition on AuditLog.action).
KINDS: dict[str, tuple[str, Any]] = {
    "": ("Semua jenis", None),
    "data": (
        "Semua perubahan data",
        AuditLog.action.not_in((SECURITY_ACTION, API_READ_ACTION)),
    ),
    "buat": ("Data dibuat", AuditLog.action == "create"),
    "ubah": ("Data diubah", AuditLog.action == "update"),
    "hapus": ("Data dihapus", AuditLog.action == "delete"),
    "massal": ("Pemutakhiran diterapkan/dibatalkan", AuditLog.action.in_(("commit", "revert"))),
    "keamanan": (
        "Kejadian keamanan (masuk, 2FA, akses ditolak, unduhan)",
        AuditLog.action == SECURITY_ACTION,
    ),
    "api": ("Pembacaan lewat API", AuditLog.action == API_READ_ACTION),
}

ENTITY_LABELS = {
    "aid_program": "Program bantuan",
    "complaint": "Pengaduan",
    "complaint_note": "Catatan pengaduan",
    "complaint_photo": "Foto pengaduan",
    "distribution_event": "Acara penyaluran",
    "distribution_recipient": "Penerima penyaluran",
    "enrollment": "Kepesertaan program",
    "handover": "Serah terima",
    "household": "KK",
    "kelurahan": "Kelurahan",
    "person": "Warga",
    "program_info": "Halaman program",
    "program_rule": "Aturan program",
    "refresh": "Pemutakhiran data",
    "rt": "RT",
    "rw": "RW",
    "setting": "Pengaturan",
    "survey": "Survei",
    "survey_member": "Anggota survei",
    "survey_task": "Tugas pendataan",
    "targeting_case": "Kasus peninjauan sasaran",
    "user_account": "Akun pengguna",
}

FIELD_LABELS = {
    "active": "aktif",
    "added": "ditambah",
    "client": "ID klien",
    "client_name": "klien API",
    "endpoint": "alamat",
    "method": "metode",
    "nik_hashes": "NIK dibaca",
    "purpose": "tujuan",
    "records": "jumlah data",
    "assigned_to_id": "ditugaskan ke",
    "author_id": "penulis",
    "committed_by_id": "diterapkan oleh",
    "created_by_id": "dibuat oleh",
    "decided_by_id": "diputuskan oleh",
    "officer_id": "petugas",
    "user_id": "pengguna",
    "applied": "diterapkan",
    "event_id": "acara",
    "recipients": "penerima",
    "updated": "diubah",
    "address": "alamat",
    "amount": "nilai",
    "birth_date": "tanggal lahir",
    "category": "kategori",
    "code": "kode",
    "description": "uraian",
    "disability": "disabilitas",
    "electricity_va": "daya listrik (VA)",
    "event_date": "tanggal acara",
    "filename": "berkas",
    "floor": "lantai",
    "full_name": "nama lengkap",
    "goods": "barang",
    "household_id": "KK",
    "kelurahan_id": "kelurahan",
    "kk_number": "nomor KK",
    "kode_pos": "kode pos",
    "member_count": "jumlah anggota",
    "monthly_income": "penghasilan per bulan",
    "name": "nama",
    "nik": "NIK",
    "note": "catatan",
    "occupation": "pekerjaan",
    "ownership": "kepemilikan rumah",
    "period": "periode",
    "place": "tempat",
    "program_id": "program",
    "reason": "alasan",
    "relation": "hubungan keluarga",
    "role": "peran",
    "roof": "atap",
    "rt_id": "RT",
    "sex": "jenis kelamin",
    "source": "sumber",
    "status": "status",
    "status_reason": "alasan status",
    "submitted_at": "dikirim",
    "toilet": "jamban",
    "username": "nama pengguna",
    "verified_at": "diverifikasi",
    "volunteer_id": "relawan",
    "wall": "dinding",
    "water_source": "sumber air",
}

# Columns holding a user id: shown as that user's name.
USER_FIELDS = {
    "assigned_to_id",
    "author_id",
    "committed_by_id",
    "created_by_id",
    "decided_by_id",
    "officer_id",
    "user_id",
    "volunteer_id",
}

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class AuditFilter:
    """What the viewer asked to see; empty values do not filter."""

    user_id: int | None = None
    api_client_id: int | None = None
    kind: str = ""
    entity: str | None = None
    entity_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class Change:
    """One field of one entry: its label and the value before and after (None = empty).

    ``paired`` rows are edits (before -> after); the others list one value: a field of a
    record created (after) or deleted (before), or a detail of a bulk or security event.
    """

    field: str
    before: str | None
    after: str | None
    paired: bool = False
    key: str = ""


def audit_page(session, viewer: User, filters: AuditFilter, page: int) -> Pagination:
    """A page of the audit log within the viewer's scope, newest first."""
    stmt = sa.select(AuditLog).where(visible_to(AuditLog, viewer))
    if filters.user_id:
        stmt = stmt.where(AuditLog.user_id == filters.user_id)
    if filters.api_client_id:
        stmt = stmt.where(AuditLog.api_client_id == filters.api_client_id)
    condition = KINDS.get(filters.kind, KINDS[""])[1]
    if condition is not None:
        stmt = stmt.where(condition)
    if filters.entity:
        stmt = stmt.where(AuditLog.entity == filters.entity)
    if filters.entity_id is not None:
        stmt = stmt.where(AuditLog.entity_id == filters.entity_id)
    if filters.date_from:
        stmt = stmt.where(AuditLog.at >= day_start_utc(filters.date_from, viewer.kelurahan))
    if filters.date_to:
        stmt = stmt.where(AuditLog.at < day_end_utc(filters.date_to, viewer.kelurahan))
    stmt = stmt.options(sa.orm.joinedload(AuditLog.user)).order_by(AuditLog.id.desc())
    page = min(max(page, 1), MAX_PAGE)
    return db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)


def user_choices(viewer: User) -> list[tuple[int, str]]:
    """Accounts the viewer may filter by: those in their scope."""
    stmt = scoped_select(User, viewer).order_by(User.full_name, User.username)
    return [(user.id, f"{user.full_name} ({user.username})") for user in db.session.scalars(stmt)]


def client_choices(viewer: User) -> list[tuple[int, str]]:
    """API clients the viewer may filter by: those they may manage."""
    from nutera.api.clients import visible_clients

    return [(c.id, c.name) for c in db.session.scalars(visible_clients(viewer))]


def entity_choices() -> list[tuple[str, str]]:
    """Kinds of record, by their Indonesian name."""
    return sorted(ENTITY_LABELS.items(), key=lambda item: item[1])


def action_label(entry: AuditLog) -> str:
    """'diubah', 'dibuat', 'kejadian keamanan', ..."""
    return ACTION_LABELS.get(entry.action, entry.action)


def subject_label(entry: AuditLog, event_labels: dict[str, str] | None = None) -> str:
    """What the entry is about: 'Warga #12', or a security event's name."""
    if entry.action == SECURITY_ACTION:
        return (event_labels or {}).get(entry.entity, entry.entity.replace("_", " "))
    if entry.action == API_READ_ACTION:
        return f"API {entry.entity}"
    label = ENTITY_LABELS.get(entry.entity, entry.entity.replace("_", " "))
    return f"{label} #{entry.entity_id}" if entry.entity_id is not None else label


def _value(value: Any) -> str | None:
    """A stored value as a person reads it."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, dict):
        return ", ".join(f"{_field(k)}: {_value(v) or '—'}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_value(v) or "—" for v in value)
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            return date_id(datetime.fromisoformat(value))  # in the viewer's zone
        except ValueError:
            return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date_id(date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _field(key: str) -> str:
    return FIELD_LABELS.get(key, key.replace("_", " "))


def _fields_of(changes: Any):
    """(key, value) of every field an entry's changes mention, one level deep."""
    if not isinstance(changes, dict):
        return
    for key, value in changes.items():
        if key in ("before", "after") and isinstance(value, dict):
            yield from value.items()
        elif _is_before_after(value):
            yield key, value["before"]
            yield key, value["after"]
        else:
            yield key, value


def user_names(entries: list[AuditLog]) -> dict[int, str]:
    """Names of the users that the entries' changes refer to by id, in one query."""
    ids = {
        value
        for entry in entries
        for key, value in _fields_of(entry.changes)
        if key in USER_FIELDS and isinstance(value, int)
    }
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def _is_before_after(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"before", "after"}


def readable_changes(entry: AuditLog, names: dict[int, str] | None = None) -> list[Change]:
    """The entry's changes as (field, before, after) rows instead of raw JSON; user ids are
    shown as names when ``names`` (from user_names) knows them."""
    names = names or {}

    def shown(key: str, value: Any) -> str | None:
        if key in USER_FIELDS and isinstance(value, int) and value in names:
            return names[value]
        if key == "nik_hashes" and isinstance(value, list):
            return f"{len(value)} NIK (disimpan sebagai hash)"
        return _value(value)

    changes = entry.changes or {}
    if not isinstance(changes, dict):
        return [Change("isi", None, _value(changes))]
    if entry.action == "create" and isinstance(changes.get("after"), dict):
        return [Change(_field(k), None, shown(k, v), key=k) for k, v in changes["after"].items()]
    if entry.action == "delete" and isinstance(changes.get("before"), dict):
        return [Change(_field(k), shown(k, v), None, key=k) for k, v in changes["before"].items()]
    rows = []
    for key, value in changes.items():
        if _is_before_after(value):
            before, after = shown(key, value["before"]), shown(key, value["after"])
            rows.append(Change(_field(key), before, after, paired=True, key=key))
        else:
            rows.append(Change(_field(key), None, shown(key, value), key=key))
    return rows
