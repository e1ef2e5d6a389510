"""Accountability for API reads: every read of personal data leaves an audit row."""

from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app, request

from nutera.api.auth import current_client
from nutera.extensions import db
from nutera.lookup.services import nik_digest
from nutera.models import AuditLog
from nutera.models.base import utcnow


def record_read(niks: Iterable[str | None], count: int, purpose: str = "") -> None:
    """Log who (client) read what (endpoint, NIKs as keyed hashes, count) and why."""
    client = current_client()
    secret = current_app.config["SECRET_KEY"]
    hashes = sorted({nik_digest(nik, secret) for nik in niks if nik})
    # The rule, not the path: a path such as /persons/<nik> would put the NIK in the log.
    endpoint = request.url_rule.rule if request.url_rule else "?"
    if db.session.get_bind().dialect.name == "postgresql":
        # A read's audit row alone in its transaction need not wait for the WAL flush: a
        # server crash could lose the last fraction of a second of read logs, never a change
        # and never consistency, and a status check stops costing a disk flush.
        db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
    db.session.execute(
        sa.insert(AuditLog),
        [
            {
                "at": utcnow(),
                "user_id": None,
                "api_client_id": client.id,
                "kelurahan_id": None,
                "action": "api_read",
                "entity": endpoint[:50],
                "entity_id": None,
                "changes": {
                    "client": client.client_id,
                    "client_name": client.name,
                    "method": request.method,
                    "endpoint": endpoint,
                    "purpose": purpose,
                    "records": count,
                    "nik_hashes": hashes,
                },
                "ip": request.remote_addr,
            }
        ],
    )
    db.session.commit()
