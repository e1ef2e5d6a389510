"""The one way uploads are stored: decoded as images, re-encoded, random names, in instance/.

Files never go under static/: a feature serves them through its own login-checked route
with ``send_stored``, after checking the viewer may see the record they belong to.

An image is measured from its header before any pixel is decoded, and refused above the
configured pixel count (IMAGE_MAX_PIXELS). A stored file is written under a temporary name
(``.part``) and renamed into place when the database transaction that records it commits;
a rollback deletes it, so a request killed half-way leaves no file a record does not name
(``flask storage check`` finds and removes any that a crash left behind).
"""

import errno
import hashlib
import io
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app, has_app_context, send_file
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

# Pillow's own guard only warns between its limit and twice it; ours refuses at the limit
# (reencode_image). This stays as a backstop for any other decoding.
Image.MAX_IMAGE_PIXELS = 40_000_000

DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_SIDE = 1600
DEFAULT_MAX_PIXELS = 40_000_000
PENDING_SUFFIX = ".part"
_ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO", "HEIF"}
_PENDING_KEY = "nutera_pending_files"
_log = logging.getLogger(__name__)


class UploadError(ValueError):
    """An upload that cannot be accepted; the message is Indonesian."""


class StorageUnavailable(UploadError):
    """The upload folder cannot take the file now (disk full, read-only, no permission)."""


STORAGE_UNAVAILABLE = (
    "Foto tidak dapat disimpan karena ruang penyimpanan server sedang penuh atau bermasalah. "
    "Isian Anda tidak hilang: kirim lagi beberapa saat lagi, dengan foto dipilih ulang."
)


def max_pixels() -> int:
    """The configured pixel limit of an uploaded image."""
    if has_app_context():
        return int(current_app.config.get("IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS))
    return DEFAULT_MAX_PIXELS


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.1f}".replace(".", ",")


def _too_many_pixels(width: int, height: int, limit: int) -> UploadError:
    return UploadError(
        f"Resolusi foto terlalu besar ({width} × {height} piksel, {_megapixels(width * height)} "
        f"juta piksel; maksimal {_megapixels(limit)} juta piksel). Kecilkan resolusi kamera "
        "atau kirim foto lain."
    )


@dataclass(frozen=True)
class StoredImage:
    """An image written to the upload folder."""

    path: str  # relative to UPLOAD_FOLDER, e.g. "survey/3f/3f9a...c1.jpg"
    sha256: str  # of the stored (re-encoded) bytes
    width: int
    height: int
    size: int


def reencode_image(
    stream: BinaryIO,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_side: int = DEFAULT_MAX_SIDE,
    keep_alpha: bool = False,
    pixel_limit: int | None = None,
) -> tuple[bytes, str, int, int]:
    """Decode an uploaded image and re-encode it without metadata; returns (bytes, ext, w, h).

    Raises UploadError for anything that is not a decodable image or is too large.
    Orientation from EXIF is applied to the pixels, then every metadata block (EXIF with
    GPS and camera, XMP, ICC comments) is dropped by writing fresh pixels only.
    """
    data = stream.read(max_bytes + 1)
    if not data:
        raise UploadError("Berkas kosong: pilih foto yang akan diunggah.")
    if len(data) > max_bytes:
        raise UploadError(f"Foto terlalu besar (maksimal {max_bytes // (1024 * 1024)} MB).")
    limit = pixel_limit or max_pixels()
    try:
        # Image.open reads the header only: the size is known before any pixel is decoded.
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in _ACCEPTED_FORMATS:
                raise UploadError("Berkas bukan foto yang didukung (JPEG, PNG, WEBP).")
            width, height = probe.size
            if width * height > limit:
                raise _too_many_pixels(width, height, limit)
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except Image.DecompressionBombError:
        raise UploadError(
            f"Resolusi foto terlalu besar (maksimal {_megapixels(limit)} juta piksel). "
            "Kecilkan resolusi kamera atau kirim foto lain."
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise UploadError("Berkas bukan gambar yang valid. Unggah foto JPEG atau PNG.") from None
    image = ImageOps.exif_transpose(image)
    image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    if keep_alpha and image.mode in ("RGBA", "LA", "P"):
        image.convert("RGBA").save(out, "PNG", optimize=True)
        ext = "png"
    else:
        image.convert("RGB").save(out, "JPEG", quality=82, optimize=True)
        ext = "jpg"
    return out.getvalue(), ext, image.width, image.height


def save_image(
    stream: BinaryIO,
    kind: str,
    *,
    upload_folder: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_side: int = DEFAULT_MAX_SIDE,
    keep_alpha: bool = False,
) -> StoredImage:
    """Validate, re-encode and store an image under UPLOAD_FOLDER/kind/ with a random name."""
    payload, ext, width, height = reencode_image(
        stream, max_bytes=max_bytes, max_side=max_side, keep_alpha=keep_alpha
    )
    digest = hashlib.sha256(payload).hexdigest()
    name = secrets.token_hex(16)
    relative = f"{kind}/{name[:2]}/{name}.{ext}"
    root = Path(upload_folder or current_app.config["UPLOAD_FOLDER"])
    target = root / relative
    if has_app_context():
        from nutera.extensions import db

        write_pending(db.session(), target, payload)
    else:  # a script without a database: nothing to wait for
        _write(target, payload)
    return StoredImage(relative, digest, width, height, len(payload))


def _write(target: Path, payload: bytes) -> None:
    """Write payload to target whole, or raise StorageUnavailable and leave nothing behind."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        target.unlink(missing_ok=True)
        _log.error("upload folder cannot take a file: %s", error)
        raise StorageUnavailable(STORAGE_UNAVAILABLE) from None


def pending_path(target: Path) -> Path:
    return target.with_name(target.name + PENDING_SUFFIX)


def write_pending(session: Session, target: Path, payload: bytes) -> None:
    """Write target's bytes under its temporary name; renamed when session commits."""
    if not session.in_transaction():
        session.begin()  # so a commit or a rollback ends it and settles the file
    part = pending_path(target)
    _write(part, payload)
    session.info.setdefault(_PENDING_KEY, []).append(target)


@event.listens_for(Session, "after_commit")
def _finalize_pending(session: Session) -> None:
    for target in session.info.pop(_PENDING_KEY, []):
        try:
            os.replace(pending_path(target), target)
        except FileNotFoundError:  # discarded by the feature before the commit
            pass
        except OSError as error:  # left as .part: storage check completes it
            _log.error("could not move %s into place: %s", target, error)


@event.listens_for(Session, "after_transaction_end")
def _discard_pending(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    for target in session.info.pop(_PENDING_KEY, []):  # ended without a commit
        pending_path(target).unlink(missing_ok=True)


def stored_path(relative: str, upload_folder: str | None = None) -> Path:
    """Absolute path of a stored file; refuses anything that escapes the upload folder.

    Before its transaction commits a file is still under its temporary name."""
    root = Path(upload_folder or current_app.config["UPLOAD_FOLDER"]).resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise UploadError("Lokasi berkas tidak sah.")
    if not path.exists():
        part = pending_path(path)
        if part.exists():
            return part
    return path


def is_storage_error(error: BaseException) -> bool:
    """Whether an OSError means the disk cannot take files (full, read-only, forbidden)."""
    return isinstance(error, OSError) and error.errno in (
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
    )


def file_sha256(relative: str, upload_folder: str | None = None) -> str | None:
    """SHA-256 of a stored file, or None when it is missing."""
    path = stored_path(relative, upload_folder)
    if not path.exists():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def send_stored(relative: str):
    """Send a stored file privately (never cached by shared proxies)."""
    path = stored_path(relative)
    if not path.exists():
        from flask import abort

        abort(404)
    response = send_file(path, max_age=0, conditional=True)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
