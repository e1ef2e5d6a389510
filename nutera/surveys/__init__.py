"""Household surveys: volunteers survey at the door, staff verify one by one."""
from flask import Blueprint

bp = Blueprint("surveys", __name__)

from nutera.surveys import routes, routes_staff  # noqa: E402,F401
