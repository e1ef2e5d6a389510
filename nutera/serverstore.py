"""Short-lived values kept on the server: captcha challenges and sign-in failures.

Where the rate limiter counts in Redis, so does this store (several workers and servers see
the same values); otherwise the values live in the database's small ``server_value`` table.
Each write runs in its own short transaction, apart from the request's session, so a used-up
captcha stays used up even when the request that used it rolls back.
"""

import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from nutera.extensions import db
from nutera.models import ServerValue
from nutera.redis_fallback import redis_options
from nutera.timeutil import as_utc

log = logging.getLogger(__name__)


class StoreUnavailable(RuntimeError):
    """The store cannot be reached (Redis down, database gone)."""


class RedisStore:
    """Values in Redis, with Redis's own expiry."""

    def __init__(self, uri: str):
        import redis

        self._errors = (redis.exceptions.RedisError, OSError)
        self._redis = redis.Redis.from_url(uri, decode_responses=True, **redis_options())

    def _key(self, key: str) -> str:
        return "nutera/" + key

    def put(self, key: str, value: str, ttl: int) -> None:
        """Keep value under key for ttl seconds."""
        try:
            self._redis.set(self._key(key), value, ex=ttl)
        except self._errors as error:
            raise StoreUnavailable(str(error)) from error

    def get(self, key: str) -> str | None:
        """The value under key, or None."""
        try:
            return self._redis.get(self._key(key))
        except self._errors as error:
            raise StoreUnavailable(str(error)) from error

    def take(self, key: str) -> str | None:
        """The value under key, removed in the same step (so only one caller gets it)."""
        try:
            return self._redis.getdel(self._key(key))
        except self._errors as error:
            raise StoreUnavailable(str(error)) from error

    def incr(self, key: str, ttl: int) -> int:
        """Add one to the counter under key (a window of ttl seconds from its first count)."""
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.set(self._key(key), 0, ex=ttl, nx=True)
            pipe.incr(self._key(key))
            return int(pipe.execute()[1])
        except self._errors as error:
            raise StoreUnavailable(str(error)) from error

    def delete(self, key: str) -> None:
        """Forget key."""
        try:
            self._redis.delete(self._key(key))
        except self._errors as error:
            raise StoreUnavailable(str(error)) from error


def _upsert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


class DatabaseStore:
    """Values in the server_value table; expired rows are ignored and swept on writes."""

    table = ServerValue.__table__

    def _run(self, work):
        try:
            with db.engine.begin() as conn:
                return work(conn)
        except sa.exc.OperationalError as error:
            raise StoreUnavailable(str(error)) from error

    def put(self, key: str, value: str, ttl: int) -> None:
        """Keep value under key for ttl seconds."""
        now = datetime.now(UTC)
        expires = now + timedelta(seconds=ttl)

        def work(conn):
            conn.execute(sa.delete(self.table).where(self.table.c.expires_at < now))
            insert = _upsert(conn.dialect.name)(self.table).values(
                key=key, value=value, expires_at=expires
            )
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["key"], set_={"value": value, "expires_at": expires}
                )
            )

        self._run(work)

    def get(self, key: str) -> str | None:
        """The value under key, or None."""
        now = datetime.now(UTC)
        row = self._run(
            lambda conn: conn.execute(
                sa.select(self.table.c.value, self.table.c.expires_at).where(
                    self.table.c.key == key
                )
            ).first()
        )
        if row is None or as_utc(row.expires_at) <= now:
            return None
        return row.value

    def take(self, key: str) -> str | None:
        """The value under key, removed in the same statement (so only one caller gets it)."""
        now = datetime.now(UTC)
        row = self._run(
            lambda conn: conn.execute(
                sa.delete(self.table)
                .where(self.table.c.key == key)
                .returning(self.table.c.value, self.table.c.expires_at)
            ).first()
        )
        if row is None or as_utc(row.expires_at) <= now:
            return None
        return row.value

    def incr(self, key: str, ttl: int) -> int:
        """Add one to the counter under key (a window of ttl seconds from its first count)."""
        now = datetime.now(UTC)
        expires = now + timedelta(seconds=ttl)
        t = self.table

        def work(conn):
            insert = _upsert(conn.dialect.name)(t).values(key=key, value="1", expires_at=expires)
            expired = t.c.expires_at <= now
            statement = insert.on_conflict_do_update(
                index_elements=["key"],
                set_={
                    "value": sa.case(
                        (expired, "1"),
                        else_=sa.cast(sa.cast(t.c.value, sa.Integer) + 1, sa.Text),
                    ),
                    "expires_at": sa.case((expired, expires), else_=t.c.expires_at),
                },
            ).returning(t.c.value)
            return int(conn.execute(statement).scalar_one())

        return self._run(work)

    def delete(self, key: str) -> None:
        """Forget key."""
        self._run(lambda conn: conn.execute(sa.delete(self.table).where(self.table.c.key == key)))


def _uses_redis(uri: str) -> bool:
    return uri.startswith(("redis://", "rediss://", "unix://"))


def init_app(app: Flask) -> None:
    """Choose the store as the limiter chose its storage (SERVER_STORE_URI overrides)."""
    uri = app.config.get("SERVER_STORE_URI") or app.config.get("RATELIMIT_STORAGE_URI") or ""
    app.extensions["server_store"] = RedisStore(uri) if _uses_redis(uri) else DatabaseStore()


def store() -> RedisStore | DatabaseStore:
    """The current app's store."""
    return current_app.extensions["server_store"]
