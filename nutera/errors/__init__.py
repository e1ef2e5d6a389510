"""Error pages a resident can understand, and JSON problem documents under /api."""

import logging

import sqlalchemy as sa
from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from nutera.extensions import db
from nutera.storage import is_storage_error
from nutera.upload_limits import megabytes

_log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Permintaan tidak dapat diproses", "Periksa kembali isian Anda lalu coba lagi."),
    403: ("Akses ditolak", "Akun Anda tidak berhak membuka halaman ini."),
    404: ("Halaman tidak ditemukan", "Alamat yang Anda buka tidak ada atau sudah dipindahkan."),
    405: ("Metode tidak diizinkan", "Cara membuka halaman ini tidak didukung."),
    413: ("Berkas terlalu besar", "Ukuran berkas melebihi batas yang diizinkan."),
    422: ("Isian tidak dapat diproses", "Periksa kembali isian Anda lalu coba lagi."),
    503: (
        "Layanan sedang sibuk",
        "Basis data sedang lambat atau tidak dapat dihubungi. Tunggu sebentar lalu coba lagi; "
        "data yang sudah tersimpan tidak hilang.",
    ),
    507: (
        "Penyimpanan server penuh",
        "Berkas tidak dapat disimpan karena ruang penyimpanan server penuh atau bermasalah. "
        "Petugas sudah dapat melihat catatannya; coba lagi nanti.",
    ),
    429: (
        "Terlalu banyak permintaan",
        "Anda sudah terlalu sering mencoba. Tunggu beberapa saat lalu coba lagi.",
    ),
    500: (
        "Terjadi kesalahan pada server",
        "Maaf, ada gangguan di pihak kami. Petugas sudah dapat melihat catatannya; "
        "silakan coba lagi nanti.",
    ),
}


def _unavailable(original: BaseException):
    """A 503 for a database that timed out or went away, a 507 for a disk that cannot write."""
    if isinstance(original, sa.exc.OperationalError | sa.exc.TimeoutError):
        db.session.rollback()
        _log.error("database unavailable: %s", str(original).splitlines()[0])
        response = _respond(503)
        return _with_header(response, "Retry-After", "10")
    if is_storage_error(original):
        _log.error("upload folder unavailable: %s", original)
        return _respond(507)
    return None


def _with_header(response, name: str, value: str):
    if isinstance(response, tuple):
        body, code = response
        return body, code, {name: value}
    response.headers[name] = value
    return response


def _field_errors(data: dict) -> dict | None:
    """Field errors passed to abort(): ours as errors=, webargs' as messages= per location."""
    if data.get("errors"):
        return data["errors"]
    messages = data.get("messages")
    if not messages:
        return None
    merged: dict = {}
    for per_location in messages.values():
        merged.update(per_location if isinstance(per_location, dict) else {"_": per_location})
    return merged


def _problem(code: int, title: str, detail: str, data: dict):
    """An RFC 9457 problem document, with field errors and headers passed to abort()."""
    body = {"type": "about:blank", "title": title, "status": code, "detail": detail}
    errors = _field_errors(data)
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = code
    response.mimetype = "application/problem+json"
    response.headers.update(data.get("headers") or {})
    return response


def _respond(code: int, detail: str | None = None, data: dict | None = None):
    title, message = MESSAGES.get(code, (f"Kesalahan {code}", ""))
    if request.path.startswith("/api/"):
        data = data or {}
        if code == 422 and not data.get("message"):
            detail = detail or "Isian tidak valid; lihat errors untuk tiap kolom."
        return _problem(code, title, data.get("message") or detail or message, data)
    return render_template(
        "errors/error.html", code=code, title=title, message=detail or message
    ), code


def init_app(app) -> None:
    """Register the handlers."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        detail = None
        if (error.code or 500) >= 500:
            db.session.rollback()
        if isinstance(error, InternalServerError) and error.original_exception is not None:
            unavailable = _unavailable(error.original_exception)
            if unavailable is not None:
                return unavailable
        if error.code == 413:
            detail = (
                "Ukuran berkas melebihi batas yang diizinkan "
                f"({megabytes(request.max_content_length or 0)}). Perkecil berkasnya lalu "
                "kirim lagi."
            )
        elif error.code == 429:
            detail = MESSAGES[429][1]
        elif error.code == 400 and error.description and "CSRF" in str(error.description):
            detail = "Formulir sudah kedaluwarsa. Muat ulang halaman lalu kirim lagi."
        return _respond(error.code or 500, detail, getattr(error, "data", None))
