"""Sanding data: recipient lists validated against the population, verified one by one."""

from flask import Blueprint

bp = Blueprint("sanding", __name__)

from nutera.sanding import routes, routes_reports, routes_revalidation  # noqa: E402,F401
