"""The city and kecamatan overview: one row per kelurahan, for dinas, camat and admin."""

from flask import Blueprint

bp = Blueprint("city", __name__)

from nutera.city import routes  # noqa: E402,F401
