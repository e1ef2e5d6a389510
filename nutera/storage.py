"""The one way uploads are stored: decoded as images, re-encoded, random names, in instance/.

Files never go under static/: a feature serves them through its own login-checked route
with ``send_stored``, after checking the viewer may see the record they belong to.
"""

import hashlib
import io
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app, send_file
from PIL import Image, ImageOps, UnidentifiedImageError

Image.MAX_IMAGE_PIXELS = 40_000_000  # refuse decompression bombs early

DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_SIDE = 1600
_ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO", "HEIF"}


class UploadError(ValueError):
    """An upload that cannot be accepted; the message is Indonesian."""


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
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in _ACCEPTED_FORMATS:
                raise UploadError("Berkas bukan foto yang didukung (JPEG, PNG, WEBP).")
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
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
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(payload)
    return StoredImage(relative, digest, width, height, len(payload))


def stored_path(relative: str, upload_folder: str | None = None) -> Path:
    """Absolute path of a stored file; refuses anything that escapes the upload folder."""
    root = Path(upload_folder or current_app.config["UPLOAD_FOLDER"]).resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise UploadError("Lokasi berkas tidak sah.")
    return path


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
