"""Volunteers as a community: public applications, staff review, guide and pledge, activity."""

from flask import Blueprint

bp = Blueprint("volunteers", __name__)

DEFAULTS = {
    # Applications sent per IP (failed ones included); no captcha, so the limit is the guard.
    "VOLUNTEER_APPLY_RATE_LIMIT": "5 per hour;20 per day",
}


@bp.record_once
def _set_defaults(state) -> None:
    for key, value in DEFAULTS.items():
        state.app.config.setdefault(key, value)


from nutera.volunteers import routes, routes_staff  # noqa: E402,F401
