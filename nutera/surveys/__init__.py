"""Household surveys: volunteers survey at the door, staff verify one by one."""

from flask import Blueprint

from nutera.models import DISABILITIES, PRESENCES

bp = Blueprint("surveys", __name__)


@bp.context_processor
def _labels() -> dict:
    return {"PRESENCES": PRESENCES, "DISABILITIES": DISABILITIES}


from nutera.surveys import routes, routes_staff  # noqa: E402,F401
