"""Dinas and kecamatan accounts read; every write they send is refused here, in one place.

Views list the roles they admit, and no view that changes data admits these two; this hook
is the second lock: whatever a route's guard says, a read-only account's POST, PUT, PATCH or
DELETE is answered 403 unless it is one every signed-in person may make (their own
password and two-step sign-in, signing out) or a public form anyone may send.
"""

from functools import cache

from flask import Flask, abort, request
from flask_login import current_user

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Writes on one's own account, and the public forms a resident sends signed in or not.
OPEN_WRITES = frozenset(
    {
        "auth.login",
        "auth.second_step",
        "auth.logout",
        "auth.change_password",
        "auth.enrol_two_factor",
        "auth.new_recovery_codes",
        "auth.remove_two_factor",
        "lookup.lookup",
        "lookup.self_check",
        "complaints.new_complaint",
        "captcha.redraw",
        "volunteers.apply_page",
    }
)


@cache
def _machine_blueprints() -> frozenset[str]:
    """The blueprints machine clients call with a token (not the staff pages managing them)."""
    from nutera.api.auth import token_bp
    from nutera.api.resources import BLUEPRINTS

    return frozenset({token_bp.name, *(bp.name for bp in BLUEPRINTS)})


def refuse_writes():
    """Answer 403 to a read-only account's write outside OPEN_WRITES."""
    if request.method in SAFE_METHODS or request.endpoint in OPEN_WRITES:
        return None
    if request.blueprint in _machine_blueprints():  # machine clients: token scopes decide
        return None
    if current_user.is_authenticated and current_user.is_read_only:
        abort(403)
    return None


def init_app(app: Flask) -> None:
    """Install the refusal before every view."""
    app.before_request(refuse_writes)
