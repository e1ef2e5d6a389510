"""The per-event hash chain over handovers, and its verification against rows and files."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import DistributionEvent, Handover
from nutera.models.distribution import GENESIS_HASH
from nutera.storage import UploadError, file_sha256


def _utc_iso(value: datetime) -> str:
    """An instant as UTC ISO text; naive values (SQLite) are UTC already."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _coordinate(value: Decimal | float | None) -> str | None:
    """A coordinate as fixed 6-decimal text (SQLite and PostgreSQL return it differently)."""
    return None if value is None else f"{Decimal(str(value)):.6f}"


def canonical_fields(handover: Handover) -> dict[str, Any]:
    """The fields a handover's hash covers, in a form every database returns the same way."""
    return {
        "event_id": handover.event_id,
        "seq": handover.seq,
        "recipient_id": handover.recipient_id,
        "officer_id": handover.officer_id,
        "received_at": _utc_iso(handover.received_at),
        "idempotency_key": handover.idempotency_key,
        "corrects_id": handover.corrects_id,
        "note": handover.note or "",
        "thumbprint": bool(handover.thumbprint),
        "proxy_name": handover.proxy_name,
        "proxy_nik": handover.proxy_nik,
        "proxy_relation": handover.proxy_relation,
        "latitude": _coordinate(handover.latitude),
        "longitude": _coordinate(handover.longitude),
        "gps_accuracy_m": handover.gps_accuracy_m,
        "photo_path": handover.photo_path,
        "signature_path": handover.signature_path,
    }


def handover_hash(prev_hash: str, handover: Handover) -> str:
    """SHA-256 of the previous hash, the canonical JSON fields and the evidence hashes."""
    body = json.dumps(
        canonical_fields(handover), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    text = prev_hash + body + handover.photo_sha256 + (handover.signature_sha256 or "")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """One thing found wrong in an event's chain; the message is Indonesian."""

    seq: int | None
    kind: str  # row_edited, row_missing, link_broken, file_missing, file_changed, head_mismatch
    message: str


def _check_file(
    seq: int, label: str, path: str | None, expected: str | None, upload_folder: str | None
) -> ChainBreak | None:
    """A break when a stored evidence file is missing or no longer matches its hash."""
    if path is None:
        return None
    try:
        actual = file_sha256(path, upload_folder)
    except UploadError:
        actual = None
    if actual is None:
        return ChainBreak(seq, "file_missing", f"No. {seq}: berkas {label} hilang ({path}).")
    if actual != expected:
        return ChainBreak(seq, "file_changed", f"No. {seq}: berkas {label} berubah ({path}).")
    return None


def verify_event(event: DistributionEvent, upload_folder: str | None = None) -> list[ChainBreak]:
    """Walk the event's handovers in chain order and report every break found."""
    breaks: list[ChainBreak] = []
    expected_seq, expected_prev = 1, GENESIS_HASH
    rows = db.session.scalars(
        sa.select(Handover)
        .where(Handover.event_id == event.id)
        .order_by(Handover.seq)
        .execution_options(yield_per=500)
    )
    for handover in rows:
        seq = handover.seq
        if seq != expected_seq:
            breaks.append(
                ChainBreak(seq, "row_missing", f"No. {expected_seq}-{seq - 1}: catatan terhapus.")
            )
        elif handover.prev_hash != expected_prev:
            breaks.append(
                ChainBreak(
                    seq,
                    "link_broken",
                    f"No. {seq}: rantai terputus (hash sebelumnya tidak cocok).",
                )
            )
        if handover_hash(handover.prev_hash, handover) != handover.hash:
            breaks.append(
                ChainBreak(seq, "row_edited", f"No. {seq}: isi catatan diubah setelah direkam.")
            )
        for label, path, digest in (
            ("foto", handover.photo_path, handover.photo_sha256),
            ("tanda tangan", handover.signature_path, handover.signature_sha256),
        ):
            problem = _check_file(seq, label, path, digest, upload_folder)
            if problem:
                breaks.append(problem)
        expected_seq, expected_prev = seq + 1, handover.hash
    if expected_seq - 1 != event.chain_length or expected_prev != event.chain_head:
        breaks.append(
            ChainBreak(
                None,
                "head_mismatch",
                f"Ujung rantai tidak cocok: tercatat {event.chain_length} "
                f"serah terima, ditemukan {expected_seq - 1}.",
            )
        )
    return breaks
