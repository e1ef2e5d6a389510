"""Targeting review for staff: possible exclusion and inclusion errors per program."""

from flask import Blueprint

bp = Blueprint("targeting", __name__)

from nutera.targeting import routes  # noqa: E402,F401
