"""How large a request body may be: the refresh upload of staff, and every other form.

MAX_CONTENT_LENGTH is the largest (NUTERA_REFRESH_MAX_UPLOAD_BYTES, 300 MB by default); each
request is narrowed before anything reads its body (CSRF reads the form first), so only a
signed-in admin or staff member posting to the refresh pages may send that much, and every
other form stops at FORM_MAX_UPLOAD_BYTES.
"""

from flask import current_app, request
from flask_login import current_user

DEFAULT_REFRESH_MAX_UPLOAD_BYTES = 300 * 1024 * 1024
DEFAULT_FORM_MAX_UPLOAD_BYTES = 32 * 1024 * 1024
_LARGE_UPLOAD_BLUEPRINTS = ("refresh",)


def configure(config) -> None:
    """MAX_CONTENT_LENGTH from the refresh upload limit, unless set explicitly."""
    config["REFRESH_MAX_UPLOAD_BYTES"] = int(
        config.get("REFRESH_MAX_UPLOAD_BYTES") or DEFAULT_REFRESH_MAX_UPLOAD_BYTES
    )
    config.setdefault("FORM_MAX_UPLOAD_BYTES", DEFAULT_FORM_MAX_UPLOAD_BYTES)
    if not config.get("MAX_CONTENT_LENGTH"):
        config["MAX_CONTENT_LENGTH"] = config["REFRESH_MAX_UPLOAD_BYTES"]


def body_limit() -> int:
    """The most this request may send."""
    config = current_app.config
    overall = int(config["MAX_CONTENT_LENGTH"])
    if (
        request.blueprint in _LARGE_UPLOAD_BLUEPRINTS
        and current_user.is_authenticated
        and current_user.role in ("admin", "staff")
    ):
        return int(config["REFRESH_MAX_UPLOAD_BYTES"])
    return min(overall, int(config["FORM_MAX_UPLOAD_BYTES"]))


def init_app(app) -> None:
    """Narrow each request's body limit before CSRF or a view reads the body."""

    @app.before_request
    def _limit_body():
        if request.method in ("POST", "PUT", "PATCH"):
            request.max_content_length = body_limit()


def megabytes(size: int) -> str:
    """'300 MB' (decimal comma for fractions, as the pages write numbers)."""
    value = size / (1024 * 1024)
    text = f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
    return text.replace(".", ",") + " MB"
