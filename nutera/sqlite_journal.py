"""SQLite in write-ahead-log mode: readers never wait for a writer, and a commit costs one
flush of the log instead of the rollback journal's several.

synchronous=FULL keeps every commit durable across a power cut, as in rollback mode. A
caller that writes only an accountability row may relax one commit (see
``relaxed_durability``): the row is flushed with the next full commit or checkpoint, the
same bargain as PostgreSQL's ``synchronous_commit = off``.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

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
    except BaseException:
        if relaxed:  # SQLite changes the flush level only outside a transaction
            connection.rollback()
        raise
    finally:
        if relaxed:
            connection.exec_driver_sql("PRAGMA synchronous=FULL")


def commit_relaxed(connection: Connection, write: Callable[[Any], None]) -> None:
    """write(cursor) on connection's DBAPI cursor, then commit as ``relaxed_durability`` does.

    For a hot write of one accountability row (nutera/hotsql.py's ``execute``): SQLAlchemy's
    execute, exec_driver_sql and commit cost several times the insert itself. The DBAPI
    connection commits the transaction the connection's earlier statements (its reads) are
    in; on an error it is rolled back (nothing is committed) and the flush level restored."""
    dialect = connection.dialect.name
    dbapi_connection = connection.connection.dbapi_connection
    cursor = dbapi_connection.cursor()
    try:
        if dialect == "postgresql":
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        elif dialect == "sqlite":
            cursor.execute("PRAGMA synchronous=NORMAL")
        try:
            write(cursor)
            dbapi_connection.commit()
        except BaseException:
            # Also ends the transaction: SQLite changes the flush level only outside one.
            dbapi_connection.rollback()
            raise
        finally:
            if dialect == "sqlite":
                cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()
