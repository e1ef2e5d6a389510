"""Sanding data: recipient lists validated against the population, verified one by one."""

from flask import Blueprint

bp = Blueprint("sanding", __name__)

from nutera.sanding import routes, routes_reports  # noqa: E402,F401
