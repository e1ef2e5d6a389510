"""Public home page and the signed-in dashboard."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from nutera.main import layout, routes  # noqa: E402,F401
