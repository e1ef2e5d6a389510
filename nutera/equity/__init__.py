"""Tingkat Pemerataan Bantuan: fairness indicators, their trend, public view and report."""

from flask import Blueprint

bp = Blueprint("equity", __name__)

from nutera.equity import routes  # noqa: E402,F401
