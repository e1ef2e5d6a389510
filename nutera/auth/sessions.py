"""Signed-in sessions that the server can end.

The session cookie is signed, not stored, so the server cannot delete it. Instead each user
has a session generation: a session remembers the generation it was opened in, and once the
user signs out, is deactivated or has their password reset, the generation moves on and
every cookie of the older one is refused, copied or not. A session also ends after an idle
timeout, and a fixed time after sign-in however busy it is.
"""

import time
from datetime import timedelta

from flask import current_app, session
from flask_login import login_user, logout_user

from nutera.models import User

GENERATION = "_gen"
SIGNED_IN_AT = "_signed_in"
LAST_SEEN = "_seen"
PENDING_2FA = "_2fa_pending"
PENDING_2FA_SECONDS = 300


def _seconds(value) -> float:
    """A timedelta, or a number of minutes (as an environment variable gives it)."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) * 60


def idle_timeout(user: User) -> float:
    """Seconds without a request after which the user's session ends."""
    key = "VOLUNTEER_SESSION_IDLE_TIMEOUT" if user.is_volunteer else "SESSION_IDLE_TIMEOUT"
    return _seconds(current_app.config[key])


def start(user: User) -> None:
    """Open a fresh session for user (any earlier content of the cookie is dropped)."""
    session.clear()
    session.permanent = True
    login_user(user)
    now = int(time.time())
    session[GENERATION] = user.session_generation
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN] = now


def end_all(user: User) -> None:
    """End every open session of user, on every device (the caller commits)."""
    user.session_generation = (user.session_generation or 0) + 1


def finish() -> None:
    """Forget this browser's sign-in."""
    logout_user()
    session.clear()


def refusal(user: User, now: float | None = None) -> str | None:
    """Why this session of user may not continue (a message for the sign-in page), or None."""
    now = time.time() if now is None else now
    if not user.active:
        return "Akun Anda sudah dinonaktifkan."
    if session.get(GENERATION) != user.session_generation:
        return "Sesi Anda sudah diakhiri. Silakan masuk lagi."
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if now - session.get(SIGNED_IN_AT, 0) > lifetime:
        return "Sesi Anda sudah berakhir. Silakan masuk lagi."
    if now - session.get(LAST_SEEN, 0) > idle_timeout(user):
        return "Sesi berakhir karena lama tidak ada aktivitas. Silakan masuk lagi."
    return None


def touch(user: User, now: float | None = None) -> None:
    """Note this request as activity of the session (coarsely, to spare the cookie)."""
    now = time.time() if now is None else now
    if now - session.get(LAST_SEEN, 0) >= min(60, idle_timeout(user) / 4):
        session[LAST_SEEN] = int(now)


def begin_second_step(user: User, next_url: str | None) -> None:
    """Remember that user gave the right password and must now give a code."""
    session.clear()
    session[PENDING_2FA] = {
        "uid": user.id,
        "gen": user.session_generation,
        "at": int(time.time()),
        "next": next_url,
    }


def pending_second_step() -> dict | None:
    """The half-finished sign-in of this browser, if still fresh."""
    pending = session.get(PENDING_2FA)
    if not pending or time.time() - pending.get("at", 0) > PENDING_2FA_SECONDS:
        return None
    return pending
