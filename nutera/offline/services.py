"""Outbox items arriving from a device: each accepted exactly once, retries get the first answer.

A device sends an item's photos and signature first (by SHA-256, see blobs.py), then the
record with its idempotency key. The key's row is inserted before the record is made, in the
same transaction: two copies of one item racing each other meet on the unique constraint and
the loser answers with the winner's result. A refused item is not remembered, so the volunteer
can fix it and resend it under the same key.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from nutera.bounds import in_range
from nutera.distribution.forms import HandoverForm
from nutera.distribution.pdfs import when
from nutera.distribution.services import (
    DuplicateHandover,
    HandoverError,
    HandoverInput,
    record_handover,
)
from nutera.models import (
    DistributionRecipient,
    OfflineBlob,
    OfflineSubmission,
    SurveyTask,
    TaskStatus,
    User,
)
from nutera.offline.area import current_copy, household_version
from nutera.offline.blobs import SHA256, find_blob, open_blob
from nutera.scoping import scoped_select
from nutera.storage import DEFAULT_MAX_BYTES, UploadError, save_image
from nutera.surveys.forms import SurveyForm
from nutera.surveys.queries import rt_choices
from nutera.surveys.services import (
    SurveyTaken,
    blocking_problems,
    pairs_from_household,
    start_survey,
    submit_once,
)
from nutera.volunteers.services import pledged_at

KINDS = ("survey", "handover")
MAX_FIELDS = 600


class Refused(ValueError):
    """An item the server will not record as sent; message and errors are Indonesian."""

    def __init__(
        self, message: str, errors: dict[str, list[str]] | None = None, status=422, **extra
    ):
        super().__init__(message)
        self.errors = errors or {}
        self.status = status
        self.extra = extra


@dataclass
class Item:
    """One outbox item as the device sent it."""

    key: str
    kind: str
    fields: list[list[str]]
    blobs: dict[str, str] = field(default_factory=dict)
    base: dict[str, Any] = field(default_factory=dict)
    event_id: int | None = None
    recipient_id: int | None = None
    task_id: int | None = None


KEY = re.compile(r"^[A-Za-z0-9-]{16,64}$")
BLOB_NAMES = ("photo", "signature")
MAX_VALUE = 2000


def _pairs(value: Any) -> list[list[str]] | None:
    """value as [[name, text], ...] within the size limits, else None."""
    if not isinstance(value, list) or len(value) > MAX_FIELDS:
        return None
    for pair in value:
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(x, str) and len(x) <= MAX_VALUE for x in pair)
        ):
            return None
    return value


def _base(value: Any) -> dict[str, Any]:
    """The household copy a survey was made on: its version and values (or nothing)."""
    if not isinstance(value, dict) or not isinstance(value.get("version"), str):
        return {}
    return {"version": value["version"][:64], "pairs": _pairs(value.get("pairs")) or []}


def parse_item(payload: Any) -> Item:
    """Check the shape of a posted item; raises Refused."""
    if not isinstance(payload, dict):
        raise Refused("Format kiriman tidak sah.")
    key, kind = payload.get("key"), payload.get("kind")
    if not isinstance(key, str) or not KEY.match(key):
        raise Refused("Kunci pengiriman tidak sah.")
    if kind not in KINDS:
        raise Refused("Jenis kiriman tidak dikenal.")
    fields = _pairs(payload.get("fields"))
    if fields is None:
        raise Refused("Isian kiriman tidak sah.")
    blobs = payload.get("blobs") or {}
    if not isinstance(blobs, dict) or not all(
        name in BLOB_NAMES and isinstance(sha, str) and SHA256.match(sha)
        for name, sha in blobs.items()
    ):
        raise Refused("Kode berkas tidak sah.")
    ids = {name: payload.get(name) for name in ("event_id", "recipient_id")}
    if kind == "handover" and not all(
        isinstance(v, int) and not isinstance(v, bool) and in_range(v) for v in ids.values()
    ):
        raise Refused("Penerima tidak dikenal.")
    task_id = payload.get("task_id")
    if task_id is not None and not (
        kind == "survey"
        and isinstance(task_id, int)
        and not isinstance(task_id, bool)
        and in_range(task_id)
    ):
        raise Refused("Tugas survei tidak dikenal.")
    return Item(key, kind, fields, blobs, _base(payload.get("base")), **ids, task_id=task_id)


def _open_task(session: Session, user: User, task_id: int | None) -> SurveyTask | None:
    """The open survey task the device started this survey from, if the volunteer sees it.

    A task closed or moved out of the volunteer's RTs meanwhile is not linked: the survey is
    still recorded, as one started without a task would be."""
    if task_id is None:
        return None
    return session.scalar(
        scoped_select(SurveyTask, user).where(
            SurveyTask.id == task_id, SurveyTask.status == TaskStatus.TERBUKA
        )
    )


def first_result(session: Session, user: User, key: str) -> OfflineSubmission | None:
    """What the server answered the first time this device sent this item, if it did."""
    return session.scalar(
        sa.select(OfflineSubmission).where(
            OfflineSubmission.user_id == user.id, OfflineSubmission.idempotency_key == key
        )
    )


def _blobs(session: Session, user: User, item: Item) -> dict[str, OfflineBlob]:
    found = {}
    for name, sha in item.blobs.items():
        blob = find_blob(session, user, sha)
        if blob is None:  # the device resumes by uploading it, then resends the record
            raise Refused("Berkas belum terkirim.", {"_blob": [sha]}, status=409)
        found[name] = blob
    return found


def _flat_errors(errors: dict, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for name, value in errors.items():
        if isinstance(value, dict):
            flat.update(_flat_errors(value, f"{prefix}{name}-"))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, row in enumerate(value):
                flat.update(_flat_errors(row, f"{prefix}{name}-{index}-"))
        elif isinstance(value, list):
            flat[f"{prefix}{name}"] = [str(v) for v in value if isinstance(v, str)]
    return flat


def _survey(session: Session, user: User, item: Item, today: date, now: datetime) -> dict:
    if not user.is_volunteer:
        raise Refused("Survei rumah tangga dikirim oleh relawan yang ditugaskan di RT-nya.")
    if pledged_at(session, user) is None:
        raise Refused("Setujui dulu janji kerahasiaan data di halaman Panduan, lalu kirim ulang.")
    form = SurveyForm(formdata=MultiDict(item.fields), meta={"csrf": False})
    form.rt_id.choices = rt_choices(user)
    chosen = (form.rt_id.raw_data or [""])[0]
    rt = next((r for r in user.assigned_rts if str(r.id) == chosen), None)
    if not form.validate() or rt is None:
        errors = _flat_errors(form.errors)
        if rt is None:
            errors["rt_id"] = ["RT ini bukan wilayah tugas Anda."]
        raise Refused("Periksa kembali isian yang ditandai.", errors)
    household = current_copy(session, user, form.kk_number.data)
    task = _open_task(session, user, item.task_id)
    survey = start_survey(session, user, rt, today, task, household, form.kk_number.data)
    if not survey.editable:
        raise Refused("Survei KK ini sudah terkirim periode ini.")
    niks = [entry.form.nik.data or "" for entry in form.members]
    problems = blocking_problems(session, survey, form.kk_number.data, niks)
    if problems:
        raise Refused("Survei belum dapat dikirim.", {k: [v] for k, v in problems.items()})
    blobs = _blobs(session, user, item)
    if "photo" in blobs:
        try:
            stored = save_image(
                open_blob(blobs["photo"]),
                "survey",
                max_bytes=current_app.config.get("SURVEY_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES),
            )
        except UploadError as error:
            raise Refused(str(error), {"photo": [str(error)]}) from None
        survey.house_photo = stored.path
    try:
        submit_once(session, survey, user, form.data, now)
    except SurveyTaken as error:
        raise Refused(str(error), {"kk_number": [str(error)]}) from None
    return {
        "status": "sent",
        "number": survey.id,
        "label": f"Survei #{survey.id}",
        "url": url_for("surveys.detail", survey_id=survey.id),
        "_survey": survey,
        "_household": household,
    }


def _handover(session: Session, user: User, item: Item) -> dict:
    recipient = session.scalar(
        scoped_select(DistributionRecipient, user).where(
            DistributionRecipient.id == item.recipient_id,
            DistributionRecipient.event_id == item.event_id,
        )
    )
    if recipient is None:
        raise Refused("Penerima ini tidak ada di acara yang Anda tangani.")
    form = HandoverForm(formdata=MultiDict(item.fields), meta={"csrf": False})
    form.idempotency_key.data = item.key
    if not form.validate():
        raise Refused("Periksa kembali isian yang ditandai.", _flat_errors(form.errors))
    blobs = _blobs(session, user, item)
    proxy = form.proxy.data
    data = HandoverInput(
        idempotency_key=item.key,
        photo=open_blob(blobs["photo"]) if "photo" in blobs else None,
        signature=open_blob(blobs["signature"]) if "signature" in blobs else None,
        thumbprint=form.thumbprint.data,
        proxy_name=(form.proxy_name.data or "") if proxy else "",
        proxy_nik=(form.proxy_nik.data or "") if proxy else "",
        proxy_relation=(form.proxy_relation.data or "") if proxy else "",
        latitude=form.latitude.data,
        longitude=form.longitude.data,
        gps_accuracy_m=_number(form.gps_accuracy_m.data),
        note=form.note.data or "",
    )
    try:
        handover, _ = record_handover(session, user, recipient, data)
    except HandoverError as error:
        raise Refused(str(error), {error.field: [str(error)]}) from None
    except DuplicateHandover as duplicate:
        earlier = duplicate.existing
        raise Refused(
            f"Ditolak: bantuan sudah diterima pada {when(earlier.received_at)}, "
            f"dicatat oleh {earlier.officer.full_name}.",
            status=409,
            duplicate_of=earlier.id,
            receipt_url=url_for("distribution.receipt", handover_id=earlier.id),
            next_url=url_for("distribution.capture", event_id=earlier.event_id),
        ) from None
    return {
        "status": "sent",
        "number": handover.id,
        "label": f"Serah terima #{handover.id}",
        "message": f"Serah terima tercatat pada {when(handover.received_at)}.",
        "url": url_for("distribution.handover", handover_id=handover.id),
        "receipt_url": url_for("distribution.receipt", handover_id=handover.id),
        "next_url": url_for("distribution.capture", event_id=handover.event_id),
        "_handover": handover,
    }


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _conflict(row: OfflineSubmission, item: Item, household) -> None:
    """Flag a survey made on a stale copy of its household, keeping both versions."""
    device_version = str(item.base.get("version") or "")[:64]
    if household is None or not device_version:
        return
    server_pairs = pairs_from_household(household)
    server_version = household_version(server_pairs)
    if server_version == device_version:
        return
    device_pairs = item.base.get("pairs")
    row.conflict = True
    row.device_version, row.server_version = device_version, server_version
    row.device_copy = device_pairs if isinstance(device_pairs, list) else None
    row.server_copy = server_pairs


def accept(session: Session, user: User, item: Item, today: date, now: datetime) -> dict:
    """Record an item once; returns the result to answer (the same on every retry).

    Raises Refused for an item the volunteer must fix; nothing of it is kept then.
    """
    row = OfflineSubmission(
        user_id=user.id,
        kelurahan_id=user.kelurahan_id,
        idempotency_key=item.key,
        kind=item.kind,
        result={},
    )
    session.add(row)
    session.flush()  # a concurrent copy of this item waits here, then fails on the key
    if item.kind == "survey":
        outcome = _survey(session, user, item, today, now)
        if row not in session:  # submit_once rolled back after a concurrent plain submit
            session.add(row)
        row.survey_id = outcome.pop("_survey").id
        _conflict(row, item, outcome.pop("_household"))
        if row.conflict:
            outcome["conflict"] = True
            outcome["message"] = (
                "Terkirim. Data KK ini berubah di server sejak diunduh; petugas akan "
                "memeriksa kedua versi."
            )
    else:
        outcome = _handover(session, user, item)
        row.handover_id = outcome.pop("_handover").id
    outcome.setdefault("message", f"{outcome['label']} diterima server.")
    row.result = outcome
    session.flush()
    return outcome


def conflict_of(session: Session, survey_id: int) -> OfflineSubmission | None:
    """The conflict flagged on a survey that came from a device, if any."""
    return session.scalar(
        sa.select(OfflineSubmission).where(
            OfflineSubmission.survey_id == survey_id, OfflineSubmission.conflict.is_(True)
        )
    )
