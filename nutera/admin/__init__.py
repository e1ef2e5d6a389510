"""Account administration and the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from nutera.admin import routes  # noqa: E402,F401
