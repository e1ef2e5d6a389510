"""State changes of distribution: events with their recipients, and handovers with evidence.

Functions add and flush; the view or CLI command commits. ``record_handover`` is the one
exception that rolls back: a refused insert (the same recipient twice) leaves the session
unusable until rolled back, and the caller needs the earlier handover afterwards.
"""

import io
import secrets
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from PIL import Image
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nutera.audit import Actor, audit_bulk
from nutera.distribution.chain import handover_hash
from nutera.identity import IdentityError, parse_nik
from nutera.models import (
    PROXY_RELATIONS,
    AidProgram,
    DistributionEvent,
    DistributionRecipient,
    Enrollment,
    EnrollmentStatus,
    Handover,
    Person,
    PersonStatus,
    Role,
    User,
)
from nutera.storage import UploadError, reencode_image, save_image, stored_path
from nutera.timeutil import utcnow

EVIDENCE_KIND = "handover"
THUMB_KIND = "handover-thumb"
MIN_SIGNATURE_PIXELS = 150  # ink pixels; a tap or a dot is not a signature
SIGNATURE_MAX_BYTES = 1024 * 1024
PHOTO_MAX_BYTES = 8 * 1024 * 1024  # DISTRIBUTION_PHOTO_MAX_BYTES overrides
_BATCH = 1000


class HandoverError(ValueError):
    """Input that cannot be recorded; ``field`` names the form field, the message is Indonesian."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class DuplicateHandover(Exception):
    """The recipient already received in this event; ``existing`` is that handover."""

    def __init__(self, existing: Handover):
        super().__init__("duplicate handover")
        self.existing = existing


@dataclass
class HandoverInput:
    """What the officer captured for one handover."""

    idempotency_key: str
    photo: BinaryIO | None
    signature: BinaryIO | None = None
    thumbprint: bool = False
    proxy_name: str = ""
    proxy_nik: str = ""
    proxy_relation: str = ""
    latitude: str | float | None = None
    longitude: str | float | None = None
    gps_accuracy_m: float | None = None
    note: str = ""


# --- events -------------------------------------------------------------------------------


def create_event(
    session: Session,
    actor: User,
    program: AidProgram,
    *,
    period: str,
    event_date: date,
    place: str,
    goods: str,
    amount: int | None,
    volunteer_ids: list[int],
    time_start: time | None = None,
    time_end: time | None = None,
) -> DistributionEvent:
    """A new event inviting every active enrollment of program; volunteers may capture."""
    event = DistributionEvent(
        kelurahan_id=program.kelurahan_id,
        program_id=program.id,
        period=period.strip(),
        event_date=event_date,
        place=place.strip(),
        goods=goods.strip(),
        amount=amount,
        time_start=time_start,
        time_end=time_end,
        created_by_id=actor.id,
    )
    event.volunteers = list(
        session.scalars(
            sa.select(User).where(
                User.id.in_(volunteer_ids),
                User.role == Role.VOLUNTEER,
                User.kelurahan_id == program.kelurahan_id,
            )
        )
    )
    session.add(event)
    session.flush()
    count = add_recipients(session, event)
    audit_bulk(
        session,
        Actor(actor.id),
        "create",
        "distribution_recipient",
        event.id,
        event.kelurahan_id,
        {"event_id": event.id, "recipients": count},
    )
    return event


def add_recipients(session: Session, event: DistributionEvent) -> int:
    """Invite the program's active enrollments (bulk, in batches); returns how many."""
    head = (
        sa.select(Person.id)
        .where(
            Person.household_id == Enrollment.household_id,
            Person.relation == "kepala",
            Person.status == PersonStatus.HIDUP,
        )
        .order_by(Person.id)
        .limit(1)
        .correlate(Enrollment)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(
            Enrollment.id,
            sa.func.coalesce(Enrollment.collector_id, Enrollment.person_id, head),
            Enrollment.household_id,
        )
        .where(
            Enrollment.program_id == event.program_id,
            Enrollment.status == EnrollmentStatus.AKTIF,
            Enrollment.kelurahan_id == event.kelurahan_id,
        )
        .order_by(Enrollment.id)
        .execution_options(yield_per=_BATCH)
    )
    count = 0
    for batch in rows.partitions(_BATCH):
        # render_nulls keeps rows with and without a household in one batched statement.
        session.execute(
            sa.insert(DistributionRecipient).execution_options(render_nulls=True),
            [
                {
                    "event_id": event.id,
                    "kelurahan_id": event.kelurahan_id,
                    "enrollment_id": eid,
                    "person_id": person_id,
                    "household_id": household_id,
                    "token": secrets.token_urlsafe(16),
                }
                for eid, person_id, household_id in batch
            ],
        )
        count += len(batch)
    return count


# --- evidence -----------------------------------------------------------------------------


def _ink_pixels(image: Image.Image) -> int:
    """Pixels that carry ink: visible (alpha) and darker than the paper."""
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
    histogram = flat.convert("L").histogram()
    return sum(histogram[:200])


def _flatten_jpeg(payload: bytes) -> bytes:
    """The signature on a white background as JPEG (fast to embed in PDFs)."""
    with Image.open(io.BytesIO(payload)) as image:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        out = io.BytesIO()
        flat.save(out, "JPEG", quality=80)
        return out.getvalue()


def _discard(paths: list[str]) -> None:
    """Remove stored files of a handover that was not recorded."""
    for path in paths:
        stored_path(path).unlink(missing_ok=True)


def _store_evidence(data: HandoverInput) -> dict:
    """Validate, re-encode and store photo, signature and their thumbnails; returns columns."""
    config = current_app.config
    if data.photo is None:
        raise HandoverError("photo", "Foto serah terima wajib diambil.")
    signature_payload = None
    if not data.thumbprint:
        if data.signature is None:
            raise HandoverError(
                "signature", "Tanda tangan penerima wajib diisi (atau tandai cap jempol)."
            )
        try:
            signature_payload, _, _, _ = reencode_image(
                data.signature, max_bytes=SIGNATURE_MAX_BYTES, max_side=1000, keep_alpha=True
            )
        except UploadError as error:
            raise HandoverError("signature", str(error)) from None
        with Image.open(io.BytesIO(signature_payload)) as image:
            if _ink_pixels(image) < MIN_SIGNATURE_PIXELS:
                raise HandoverError(
                    "signature",
                    "Tanda tangan kosong: minta penerima menandatangani di kotak yang tersedia.",
                )
    saved: list[str] = []
    try:
        photo = save_image(
            data.photo,
            EVIDENCE_KIND,
            max_side=1280,
            max_bytes=config.get("DISTRIBUTION_PHOTO_MAX_BYTES", PHOTO_MAX_BYTES),
        )
        saved.append(photo.path)
        with stored_path(photo.path).open("rb") as stream:
            photo_thumb = save_image(stream, THUMB_KIND, max_side=160)
        saved.append(photo_thumb.path)
        columns = {
            "photo_path": photo.path,
            "photo_sha256": photo.sha256,
            "photo_thumb_path": photo_thumb.path,
        }
        if signature_payload is not None:
            signature = save_image(
                io.BytesIO(signature_payload),
                EVIDENCE_KIND,
                max_bytes=SIGNATURE_MAX_BYTES,
                max_side=1000,
                keep_alpha=True,
            )
            saved.append(signature.path)
            signature_thumb = save_image(
                io.BytesIO(_flatten_jpeg(signature_payload)), THUMB_KIND, max_side=240
            )
            saved.append(signature_thumb.path)
            columns.update(
                signature_path=signature.path,
                signature_sha256=signature.sha256,
                signature_thumb_path=signature_thumb.path,
            )
    except UploadError as error:
        _discard(saved)
        raise HandoverError("photo", str(error)) from None
    return columns


# --- handovers ----------------------------------------------------------------------------


def _coordinate(value: str | float | None, limit: int) -> Decimal | None:
    """A GPS coordinate rounded to 6 decimals, or None when missing or impossible."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        return None
    return number if abs(number) <= limit else None


def _proxy_columns(data: HandoverInput) -> dict:
    """Validated proxy (diwakilkan) fields, or empty when the recipient came in person."""
    name = data.proxy_name.strip()
    if not (name or data.proxy_nik.strip() or data.proxy_relation):
        return {}
    if not name:
        raise HandoverError("proxy_name", "Nama wakil wajib diisi.")
    try:
        nik = parse_nik(data.proxy_nik).nik
    except IdentityError as error:
        raise HandoverError("proxy_nik", str(error)) from None
    if data.proxy_relation not in PROXY_RELATIONS:
        raise HandoverError("proxy_relation", "Pilih hubungan wakil dengan penerima.")
    return {"proxy_name": name[:120], "proxy_nik": nik, "proxy_relation": data.proxy_relation}


def _by_key(session: Session, key: str) -> Handover | None:
    """The handover recorded under this idempotency key, if any."""
    return session.scalar(sa.select(Handover).where(Handover.idempotency_key == key))


def original_handover(session: Session, recipient_id: int) -> Handover | None:
    """The first (non-correction) handover of a recipient, if any."""
    return session.scalar(
        sa.select(Handover).where(
            Handover.recipient_id == recipient_id, Handover.corrects_id.is_(None)
        )
    )


def record_handover(
    session: Session,
    officer: User,
    recipient: DistributionRecipient,
    data: HandoverInput,
    corrects: Handover | None = None,
) -> tuple[Handover, bool]:
    """Append a handover (or a correction) to the event's chain; returns (handover, created).

    A retry carrying an idempotency key already recorded returns that handover with
    created=False. A second handover of the same recipient raises DuplicateHandover: the
    database refuses it (unique index), and the session is rolled back.
    """
    key = data.idempotency_key
    replay = _by_key(session, key)
    if replay is not None:
        if replay.recipient_id != recipient.id:
            raise HandoverError("idempotency_key", "Kunci pengiriman sudah dipakai.")
        return replay, False
    if corrects is not None and not data.note.strip():
        raise HandoverError("note", "Tuliskan alasan koreksi.")
    proxy = _proxy_columns(data)
    evidence = _store_evidence(data)
    event_id, recipient_id = recipient.event_id, recipient.id
    try:
        # The row lock serialises appends to the chain of one event (PostgreSQL).
        event = session.execute(
            sa.select(DistributionEvent)
            .where(DistributionEvent.id == event_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()
        handover = Handover(
            event_id=event_id,
            recipient_id=recipient_id,
            kelurahan_id=event.kelurahan_id,
            officer_id=officer.id,
            received_at=utcnow(),
            idempotency_key=key,
            corrects_id=corrects.id if corrects else None,
            note=data.note.strip()[:500],
            thumbprint=bool(data.thumbprint),
            **proxy,
            latitude=_coordinate(data.latitude, 90),
            longitude=_coordinate(data.longitude, 180),
            gps_accuracy_m=int(data.gps_accuracy_m) if data.gps_accuracy_m else None,
            seq=event.chain_length + 1,
            prev_hash=event.chain_head,
            **evidence,
        )
        handover.hash = handover_hash(handover.prev_hash, handover)
        event.chain_length, event.chain_head = handover.seq, handover.hash
        session.add(handover)
        session.flush()
    except IntegrityError:
        session.rollback()
        _discard([p for k, p in evidence.items() if k.endswith("_path")])
        replay = _by_key(session, key)
        if replay is not None:
            return replay, False
        existing = original_handover(session, recipient_id)
        if existing is None:
            raise
        raise DuplicateHandover(existing) from None
    return handover, True
