"""Weekly data refresh with the kelurahan: import, match, preview, commit, revert, export."""

from flask import Blueprint

bp = Blueprint("refresh", __name__)

from nutera.refresh import routes  # noqa: E402,F401
