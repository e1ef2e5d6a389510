"""Photos and signatures a device uploads by SHA-256 before the record that names them."""

import hashlib
import io
import re
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from nutera.models import OfflineBlob, User
from nutera.storage import UploadError, reencode_image, stored_path, write_pending

BLOB_MAX_BYTES = 8 * 1024 * 1024
TOO_LARGE = "Foto terlalu besar untuk dikirim; ambil ulang dengan resolusi lebih kecil."
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobError(ValueError):
    """An upload that is refused; the message is Indonesian."""


def find_blob(session: Session, user: User, sha256: str) -> OfflineBlob | None:
    """The blob this user uploaded with this hash (another user's upload is not theirs)."""
    return session.scalar(
        sa.select(OfflineBlob).where(OfflineBlob.user_id == user.id, OfflineBlob.sha256 == sha256)
    )


def blob_max_bytes() -> int:
    """The largest photo or signature a device may upload."""
    return current_app.config.get("OFFLINE_BLOB_MAX_BYTES", BLOB_MAX_BYTES)


def store_blob(
    session: Session, user: User, sha256: str, payload: bytes
) -> tuple[OfflineBlob, bool]:
    """Keep an uploaded image under its hash; (blob, created). A repeat upload is a no-op."""
    if not SHA256.match(sha256):
        raise BlobError("Kode berkas tidak sah.")
    existing = find_blob(session, user, sha256)
    if existing is not None:
        return existing, False
    if len(payload) > blob_max_bytes():
        raise BlobError(TOO_LARGE)
    if hashlib.sha256(payload).hexdigest() != sha256:
        raise BlobError("Berkas tidak utuh (terputus saat dikirim); kirim ulang.")
    try:  # decoded once here so a broken photo is refused before any record names it
        reencode_image(io.BytesIO(payload), max_bytes=len(payload) + 1, max_side=64)
    except UploadError as error:
        raise BlobError(str(error)) from None
    relative = f"offline/{user.id}/{sha256[:2]}/{sha256}"
    write_pending(session(), Path(current_app.config["UPLOAD_FOLDER"]) / relative, payload)
    blob = OfflineBlob(user_id=user.id, sha256=sha256, path=relative, size=len(payload))
    session.add(blob)
    session.flush()
    return blob, True


def open_blob(blob: OfflineBlob) -> io.BytesIO:
    """The uploaded bytes of a blob, as a stream for the storage module."""
    return io.BytesIO(stored_path(blob.path).read_bytes())


def consume_blobs(session: Session, user: User, hashes) -> list[str]:
    """Forget the blobs a recorded item used; returns their files, to delete after commit.

    The record keeps its own copy (re-encoded through the storage module). Another item
    naming the same hash later is told the blob is missing and uploads it again."""
    blobs = session.scalars(
        sa.select(OfflineBlob).where(
            OfflineBlob.user_id == user.id, OfflineBlob.sha256.in_(list(hashes))
        )
    ).all()
    for blob in blobs:
        session.delete(blob)
    return [blob.path for blob in blobs]


def delete_files(paths: list[str]) -> None:
    """Remove blob files whose rows are gone (after the commit that removed them)."""
    for relative in paths:
        stored_path(relative).unlink(missing_ok=True)
