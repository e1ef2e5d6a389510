"""Proof of distribution: events, handovers with photo and signature, receipts and reports."""

from flask import Blueprint

bp = Blueprint("distribution", __name__)

from nutera.distribution import routes  # noqa: E402,F401
