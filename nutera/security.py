"""Security events in the audit log: sign-ins, refusals, downloads of personal data.

Each event is one AuditLog row with action ``security`` and the event's name as entity, so
the audit viewer can filter to them. Events that accompany no change of data (a failed
sign-in, a refused page, a download) are written in their own short transaction: the request
may roll back or never commit, and the trace must stay. An event that accompanies a change is
written in the request's session, so both land or neither.
"""

import logging
import time
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, has_request_context, request
from sqlalchemy.orm import Session

from nutera.extensions import db
from nutera.models import AuditLog
from nutera.timeutil import utcnow

log = logging.getLogger(__name__)

SECURITY_ACTION = "security"


class Event(StrEnum):
    """What happened; the value is stored in AuditLog.entity."""

    LOGIN_OK = "login.ok"
    LOGIN_FAILED = "login.failed"
    LOCKOUT = "login.lockout"
    LOGOUT = "logout"
    SESSION_REFUSED = "session.refused"
    TOTP_ENROLLED = "2fa.enrolled"
    TOTP_REMOVED = "2fa.removed"
    TOTP_OK = "2fa.ok"
    TOTP_FAILED = "2fa.failed"
    RECOVERY_USED = "2fa.recovery"
    PASSWORD_CHANGED = "password.changed"
    PASSWORD_RESET = "password.reset"
    ACCOUNT_DEACTIVATED = "account.deactivated"
    ACCOUNT_REACTIVATED = "account.reactivated"
    ACCESS_DENIED = "access.denied"
    RATE_LIMITED = "rate.limited"
    CAPTCHA_FAILED = "captcha.failed"
    DOWNLOAD = "download"
    HOUSEHOLD_VIEW = "household.view"


LABELS = {
    Event.LOGIN_OK: "Masuk berhasil",
    Event.LOGIN_FAILED: "Gagal masuk",
    Event.LOCKOUT: "Masuk dikunci sementara",
    Event.LOGOUT: "Keluar",
    Event.SESSION_REFUSED: "Sesi ditolak",
    Event.TOTP_ENROLLED: "Verifikasi dua langkah diaktifkan",
    Event.TOTP_REMOVED: "Verifikasi dua langkah dihapus",
    Event.TOTP_OK: "Kode dua langkah benar",
    Event.TOTP_FAILED: "Kode dua langkah salah",
    Event.RECOVERY_USED: "Kode pemulihan dipakai",
    Event.PASSWORD_CHANGED: "Kata sandi diubah",
    Event.PASSWORD_RESET: "Kata sandi direset admin",
    Event.ACCOUNT_DEACTIVATED: "Akun dinonaktifkan",
    Event.ACCOUNT_REACTIVATED: "Akun diaktifkan kembali",
    Event.ACCESS_DENIED: "Akses ditolak",
    Event.RATE_LIMITED: "Terlalu banyak permintaan",
    Event.CAPTCHA_FAILED: "Captcha salah",
    Event.DOWNLOAD: "Unduhan data pribadi",
    Event.HOUSEHOLD_VIEW: "Membuka data KK",
}

# Responses that carry personal data when a feature serves them (never static files).
_PERSONAL_MIMETYPES = {
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/csv",
}
_HOUSEHOLD_ENDPOINTS = {"registry.household"}


def _client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def _row(
    event: Event,
    user_id: int | None,
    kelurahan_id: int | None,
    entity_id: int | None,
    details: dict[str, Any] | None,
    ip: str | None,
) -> dict[str, Any]:
    return {
        "at": utcnow(),
        "user_id": user_id,
        "kelurahan_id": kelurahan_id,
        "action": SECURITY_ACTION,
        "entity": str(event),
        "entity_id": entity_id,
        "changes": details or {},
        "ip": ip if ip is not None else _client_ip(),
    }


def record(
    event: Event,
    *,
    user_id: int | None = None,
    kelurahan_id: int | None = None,
    entity_id: int | None = None,
    details: dict[str, Any] | None = None,
    session: Session | None = None,
    ip: str | None = None,
) -> None:
    """Write one security event (in session's transaction if given, else on its own)."""
    row = _row(event, user_id, kelurahan_id, entity_id, details, ip)
    if session is not None:
        session.execute(sa.insert(AuditLog), [row])
        return
    try:
        with db.engine.begin() as conn:
            conn.execute(sa.insert(AuditLog.__table__), [row])
    except sa.exc.SQLAlchemyError:
        # Never turn a page into an error because its trace could not be written.
        log.exception("security event %s could not be recorded", event)


def record_for(user: Any, event: Event, **kwargs: Any) -> None:
    """record() for a signed-in (or identified) user."""
    record(event, user_id=user.id, kelurahan_id=user.kelurahan_id, **kwargs)


def _first_id() -> int | None:
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and 0 <= value < 2**63:
            return value
    return None


def _is_personal_download(response: Response) -> bool:
    if response.status_code not in (200, 206) or request.endpoint in (None, "static"):
        return False
    mimetype = response.mimetype or ""
    return mimetype in _PERSONAL_MIMETYPES or mimetype.startswith("image/")


_RATE_LIMITED_QUIET_SECONDS = 60


def _first_429_in_a_while(now: float | None = None) -> bool:
    """One rate.limited row per address and page a minute (per worker): a flood of refused
    requests must not turn into a flood of writes."""
    now = time.monotonic() if now is None else now
    recent = current_app.extensions.setdefault("security_recent_429", {})
    key = (request.remote_addr, request.endpoint)
    if key in recent and now - recent[key] < _RATE_LIMITED_QUIET_SECONDS:
        return False
    if len(recent) > 10_000:
        recent.clear()
    recent[key] = now
    return True


def _route() -> str:
    # The rule, never the path: /persons/<nik> or /pengaduan/<code> would put a NIK or a
    # complaint's secret code into the log.
    return request.url_rule.rule[:200] if request.url_rule is not None else "?"


def _events_of(response: Response) -> tuple[Event, dict[str, Any]] | None:
    status = response.status_code
    if status == 429:
        if not _first_429_in_a_while():
            return None
        return Event.RATE_LIMITED, {"route": _route(), "method": request.method}
    # Every refusal by role; a 404 only where the address names a record (an id or a code),
    # since a mistyped address is no attempt on anyone's data.
    if status == 403 or (status == 404 and request.url_rule is not None and request.view_args):
        return Event.ACCESS_DENIED, {
            "route": _route(),
            "status": status,
            "endpoint": request.endpoint,
        }
    if _is_personal_download(response):
        return Event.DOWNLOAD, {
            "endpoint": request.endpoint,
            "route": _route(),
            "type": response.mimetype,
        }
    if status == 200 and request.endpoint in _HOUSEHOLD_ENDPOINTS:
        return Event.HOUSEHOLD_VIEW, {"endpoint": request.endpoint}
    return None


def init_app(app: Flask) -> None:
    """Recognise refusals, 429s, downloads and household reads on every response."""

    @app.after_request
    def _record_security_events(response: Response) -> Response:
        found = _events_of(response)
        if found is None:
            return response
        event, details = found
        from flask_login import current_user

        user = current_user if current_user.is_authenticated else None
        entity_id = _first_id()
        kelurahan_id = user.kelurahan_id if user is not None else None
        if event is Event.HOUSEHOLD_VIEW:
            kelurahan_id, details = _household_details(entity_id, kelurahan_id, details)
        record(
            event,
            user_id=user.id if user is not None else None,
            kelurahan_id=kelurahan_id,
            entity_id=entity_id,
            details=details,
        )
        return response


def _household_details(
    household_id: int | None, kelurahan_id: int | None, details: dict[str, Any]
) -> tuple[int | None, dict[str, Any]]:
    """The KK number read and the household's kelurahan (the page loaded it already)."""
    from nutera.models import Household

    household = db.session.get(Household, household_id) if household_id else None
    if household is None:
        return kelurahan_id, details
    return household.kelurahan_id, {**details, "kk": household.kk_number}
