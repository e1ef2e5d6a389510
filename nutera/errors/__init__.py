"""Error pages a resident can understand, and JSON problem documents under /api."""

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from nutera.extensions import db

MESSAGES = {
    400: ("Permintaan tidak dapat diproses", "Periksa kembali isian Anda lalu coba lagi."),
    403: ("Akses ditolak", "Akun Anda tidak berhak membuka halaman ini."),
    404: ("Halaman tidak ditemukan", "Alamat yang Anda buka tidak ada atau sudah dipindahkan."),
    405: ("Metode tidak diizinkan", "Cara membuka halaman ini tidak didukung."),
    413: ("Berkas terlalu besar", "Ukuran berkas melebihi batas yang diizinkan."),
    422: ("Isian tidak dapat diproses", "Periksa kembali isian Anda lalu coba lagi."),
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
        if error.code == 429:
            detail = MESSAGES[429][1]
        elif error.code == 400 and error.description and "CSRF" in str(error.description):
            detail = "Formulir sudah kedaluwarsa. Muat ulang halaman lalu kirim lagi."
        return _respond(error.code or 500, detail, getattr(error, "data", None))
