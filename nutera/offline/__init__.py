"""The field app offline: service worker, manifest, area data and the outbox's sync endpoints."""

from flask import Blueprint

bp = Blueprint("offline", __name__)

from nutera.offline import routes  # noqa: E402,F401
