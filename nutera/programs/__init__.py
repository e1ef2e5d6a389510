"""Aid programs: public pages and statistics, staff editing of pages and eligibility rules."""

from flask import Blueprint

bp = Blueprint("programs", __name__)

from nutera.programs import routes  # noqa: E402,F401
