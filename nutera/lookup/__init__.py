"""Public checks for residents: the NIK lookup (cek bansos) and the eligibility self-check."""
from flask import Blueprint

bp = Blueprint("lookup", __name__)

from nutera.lookup import routes  # noqa: E402,F401
