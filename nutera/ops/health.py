"""Readiness: can this instance serve? The database answers, its schema is at the migration
head, and whether Redis answers (without it the site runs slower limits, not down) and the
job queue answers (without it background jobs cannot start: degraded, not down)."""

import time

import redis
import sqlalchemy as sa
from flask import current_app

from nutera.extensions import db
from nutera.redis_fallback import is_redis_uri, redis_options

DATABASE_TIMEOUT_MS = 2000


def _head_revision() -> str | None:
    cached = current_app.extensions.get("nutera_migration_head")
    if cached is None:
        from alembic.script import ScriptDirectory

        config = current_app.extensions["migrate"].migrate.get_config()
        cached = current_app.extensions["nutera_migration_head"] = ScriptDirectory.from_config(
            config
        ).get_current_head()
    return cached


def _timed(check) -> dict:
    started = time.monotonic()
    try:
        result = check()
    except Exception as error:  # any failure is the answer, never a 500
        result = {"ok": False, "error": type(error).__name__}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def _database() -> dict:
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"SET LOCAL statement_timeout = {DATABASE_TIMEOUT_MS}"))
        conn.execute(sa.text("SELECT 1"))
        current = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        conn.rollback()
    head = _head_revision()
    return {"ok": True, "migration": current, "migration_head": head, "at_head": current == head}


def _redis() -> dict:
    uri = current_app.config.get("RATELIMIT_STORAGE_URI", "")
    if not is_redis_uri(uri):
        return {"ok": True, "used": False}
    client = current_app.extensions.get("nutera_readyz_redis")
    if client is None:
        timeout = float(current_app.config.get("REDIS_TIMEOUT_SECONDS", 0.3))
        client = current_app.extensions["nutera_readyz_redis"] = redis.Redis.from_url(
            uri, **redis_options(timeout)
        )
    return {"ok": bool(client.ping()), "used": True}


def _queue() -> dict:
    from nutera import queue

    app = current_app._get_current_object()
    return {**queue.reachable(app), "kind": queue.get_queue(app).url.split(":", 1)[0]}


def readiness() -> tuple[dict, int]:
    """The report and its HTTP status (503 when the database is unusable)."""
    database = _timed(_database)
    redis = _timed(_redis)
    jobs = _timed(_queue)
    ready = database["ok"] and database.get("at_head", False)
    status = "ok" if ready and redis["ok"] and jobs["ok"] else ("degraded" if ready else "fail")
    report = {"status": status, "database": database, "redis": redis, "queue": jobs}
    return report, 200 if ready else 503
