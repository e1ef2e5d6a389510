"""The field app offline: service worker, manifest, area data and the outbox's sync endpoints."""

from flask import Blueprint, request
from flask.sessions import SecureCookieSessionInterface

bp = Blueprint("offline", __name__)

# Sent by the page warm-up and the area download, which run beside the volunteer's pages.
BACKGROUND_HEADER = "X-Nutera-Background"
# Fetched by the browser itself beside a page (worker update check, installability, the
# worker's precache and every script or stylesheet): such a response carries the cookie the
# request left with, so rewriting it could undo what a page's own answer just set (a flash
# message after a POST, a new session after a password change).
BACKGROUND_ENDPOINTS = frozenset({"offline.service_worker", "offline.manifest", "static"})
# app.extensions key: a function path -> bool naming requests that carry no browser session
# (the integration API's machine calls, nutera/api/__init__.py): they get an empty session,
# which is never read from a cookie nor written back.
SESSIONLESS = "nutera_sessionless"


class BackgroundQuietSessions(SecureCookieSessionInterface):
    """Session cookies that a background fetch never rewrites.

    A warm-up started just before a password change carries the older cookie; had its answer
    rewritten the cookie (refused session cleared, or merely refreshed), it would sign the
    volunteer out of the session the page had just been given.

    Requests a feature declared sessionless (app.extensions[SESSIONLESS]) neither read nor
    write the cookie."""

    def open_session(self, app, request):
        sessionless = app.extensions.get(SESSIONLESS)
        if sessionless is not None and sessionless(request.path):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        sessionless = app.extensions.get(SESSIONLESS)
        if (
            request.headers.get(BACKGROUND_HEADER) == "1"
            or request.endpoint in BACKGROUND_ENDPOINTS
            or (sessionless is not None and sessionless(request.path))
        ):
            return
        super().save_session(app, session, response)


@bp.record_once
def _quiet_sessions(state) -> None:
    state.app.session_interface = BackgroundQuietSessions()


from nutera.offline import routes  # noqa: E402,F401
