"""SQLite in write-ahead-log mode: readers never wait for a writer, and a commit costs one
flush of the log instead of the rollback journal's several.

synchronous=FULL keeps every commit durable across a power cut, as in rollback mode. A
caller that writes only an accountability row may relax one commit (see
``relaxed_durability``): the row is flushed with the next full commit or checkpoint, the
same bargain as PostgreSQL's ``synchronous_commit = off``.
"""

import fcntl
import os
import threading
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


class _TurnFile:
    """An open descriptor of a database's writer-turn lock file, closed with its owner."""

    def __init__(self, database: str):
        self.pid = os.getpid()
        try:
            self.fd: int | None = os.open(
                os.path.abspath(database) + "-nutera-writer", os.O_RDWR | os.O_CREAT, 0o600
            )
        except OSError:  # a read-only folder: no turns are taken there
            self.fd = None

    def __del__(self) -> None:
        if self.fd is not None:
            os.close(self.fd)


# Per thread: {database file: its _TurnFile}, dropped (and closed) when the thread ends: a
# development server starts a thread per request.
_turns = threading.local()


def _turn_file(database: str) -> int | None:
    """This thread's descriptor of the database's writer-turn lock file, opened once per
    thread and process (flock excludes other open descriptions only: a descriptor shared
    with another thread, or inherited through fork, would not wait for its holder)."""
    held = getattr(_turns, "files", None)
    if held is None:
        held = _turns.files = {}
    found = held.get(database)
    if found is None or found.pid != os.getpid():
        if len(held) >= 8:  # an app has one database; a test run makes hundreds
            del held[next(iter(held))]
        found = held[database] = _TurnFile(database)
    return found.fd


@contextmanager
def writer_turn(connection: Connection) -> Iterator[None]:
    """Queue this hot writer behind any other on the same SQLite file (every thread and
    worker process) for the short write inside.

    Two workers writing at once make one of them meet SQLITE_BUSY, and SQLite's busy
    handler then sleeps at least a millisecond before it looks again: under bench/api.py's
    load one audit commit in fifteen slept so, its worker idle. A file lock wakes the next
    writer as soon as the holder lets go. Writers that take no turn (a refresh commit) are
    met by the busy handler as before. Nothing for PostgreSQL or an in-memory database."""
    database = connection.engine.url.database
    descriptor = None
    if connection.dialect.name == "sqlite" and database not in (None, "", ":memory:"):
        descriptor = _turn_file(database)
    if descriptor is None:
        yield
        return
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)


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
            with writer_turn(connection):
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
