"""Accountability for API reads: every read of personal data leaves an audit row."""

from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app, request

from nutera import hotsql
from nutera.api.auth import current_client
from nutera.extensions import db
from nutera.lookup.services import nik_digest
from nutera.models import AuditLog
from nutera.sqlite_journal import commit_relaxed
from nutera.timeutil import utcnow

_AUDIT = AuditLog.__table__
_COLUMNS = (
    "at",
    "user_id",
    "api_client_id",
    "kelurahan_id",
    "action",
    "entity",
    "entity_id",
    "changes",
    "ip",
)
# Every column a read's row sets, bound with the column's type (the time, the JSON), compiled
# once per dialect and run on the DBAPI cursor (nutera/hotsql.py).
_INSERT = (
    sa.insert(_AUDIT)
    .inline()  # no RETURNING of the new id (PostgreSQL): nothing reads it
    .values({name: sa.bindparam(name, type_=_AUDIT.c[name].type) for name in _COLUMNS})
)


def record_read(
    niks: Iterable[str | None],
    count: int,
    purpose: str = "",
    connection: sa.Connection | None = None,
) -> None:
    """Log who (client) read what (endpoint, NIKs as keyed hashes, count) and why.

    On connection (one that only read so far) when given, committing it; else on its own."""
    client = current_client()
    secret = current_app.config["SECRET_KEY"]
    hashes = sorted({nik_digest(nik, secret) for nik in niks if nik})
    # The rule, not the path: a path such as /persons/<nik> would put the NIK in the log.
    endpoint = request.url_rule.rule if request.url_rule else "?"
    # A read's audit row alone in its transaction need not wait for the disk flush: a power
    # cut could lose the last fraction of a second of read logs, never a change and never
    # consistency, and a status check stops costing a flush.
    row = _read_row(client, endpoint, purpose, count, hashes)
    if connection is not None:
        _write(connection, row)
        return
    with db.engine.connect() as own:
        _write(own, row)


def _write(connection: sa.Connection, row: dict) -> None:
    dialect = connection.dialect
    commit_relaxed(connection, lambda cursor: hotsql.execute(cursor, dialect, _INSERT, row))


def _read_row(client, endpoint: str, purpose: str, count: int, hashes: list[str]) -> dict:
    return {
        "at": utcnow(),
        "user_id": None,
        "api_client_id": client.id,
        # A one-kelurahan client's reads are that kelurahan's staff's to review too.
        "kelurahan_id": ids[0] if (ids := client.kelurahan_ids) and len(ids) == 1 else None,
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
