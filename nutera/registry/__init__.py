"""The population registry as staff and volunteers see it: households and members."""

from flask import Blueprint

bp = Blueprint("registry", __name__)

from nutera.registry import routes  # noqa: E402,F401
