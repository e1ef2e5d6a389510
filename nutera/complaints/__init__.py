"""The 24-hour complaint box: residents report, propose and rebut; staff answer on time."""

from flask import Blueprint

bp = Blueprint("complaints", __name__)

# Per-IP limits on the public form, overridable in config (tests lower or raise them).
DEFAULTS = {
    "COMPLAINT_RATE_LIMIT": "3 per day",  # complaints actually filed
    "COMPLAINT_ATTEMPT_RATE_LIMIT": "30 per hour",  # every submission, failed ones included
    "COMPLAINT_LOOKUP_RATE_LIMIT": "60 per hour",  # status pages opened by code
    "COMPLAINT_FORM_RATE_LIMIT": "120 per hour",  # form views: each draws a captcha image
}


@bp.record_once
def _set_defaults(state) -> None:
    for key, value in DEFAULTS.items():
        state.app.config.setdefault(key, value)


from nutera.complaints import routes, routes_staff  # noqa: E402,F401
