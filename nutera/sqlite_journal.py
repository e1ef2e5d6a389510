"""SQLite in write-ahead-log mode: readers never wait for a writer, and a commit costs one
flush of the log instead of the rollback journal's several.

synchronous=FULL keeps every commit durable across a power cut, as in rollback mode. A
caller that writes only an accountability row may relax one commit (see
``relaxed_durability``): the row is flushed with the next full commit or checkpoint, the
same bargain as PostgreSQL's ``synchronous_commit = off``.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine


def init_app(app, engine: Engine) -> None:
    """Put a file-backed SQLite database in WAL mode on every new connection."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return

    @sa.event.listens_for(engine, "connect")
    def _wal(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            # A refresh of a million rows grows the log to hundreds of MB; give it back.
            cursor.execute("PRAGMA journal_size_limit=67108864")
        finally:
            cursor.close()


@contextmanager
def relaxed_durability(connection: Connection) -> Iterator[None]:
    """Let the one transaction inside skip waiting for the disk flush (SQLite WAL, PostgreSQL)."""
    dialect = connection.dialect.name
    relaxed = dialect == "sqlite"
    if dialect == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    elif relaxed:
        connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        if relaxed:
            connection.exec_driver_sql("PRAGMA synchronous=FULL")
