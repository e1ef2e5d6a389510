"""One writer of a kelurahan's registry at a time: commits and reverts of every source queue.

The job lock (refresh_lock) queues uploads of one source; this one, held by the database until
the transaction ends, serialises commits and reverts of *all* sources of a kelurahan, so a
commit's checks read the registry as the previous commit left it and its stamps come after
that commit became visible. PostgreSQL: a row lock on the kelurahan (FOR NO KEY UPDATE, which
unlike FOR UPDATE lets other transactions insert rows referring to the kelurahan meanwhile).
SQLite: the database's write lock, taken up front (as BEGIN IMMEDIATE does) rather than at
the first write, after the checks.
"""

import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import Kelurahan

RETRY_SECONDS = 0.2


def lock_for_writing(session: Session, kelurahan_id: int, wait_seconds: float | None = None):
    """Hold the kelurahan's write lock until the session's transaction ends.

    Waits while another commit or revert holds it (wait_seconds=None: as long as it takes).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.select(Kelurahan.id)
            .where(Kelurahan.id == kelurahan_id)
            .with_for_update(key_share=True)
        )
        return
    _sqlite_write_lock(session, kelurahan_id, wait_seconds)


def share_for_reading(session: Session, kelurahan_id: int) -> None:
    """Wait for a commit or revert in progress to become visible (analysis starts after it).

    Held until the transaction ends, so callers commit soon after."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.select(Kelurahan.id).where(Kelurahan.id == kelurahan_id).with_for_update(read=True)
        )
    # SQLite: a reader sees only committed data and a commit is one transaction; nothing to do.


def _sqlite_write_lock(session: Session, kelurahan_id: int, wait_seconds: float | None) -> None:
    # A write to the kelurahan row makes the driver BEGIN and take SQLite's write lock now
    # (what BEGIN IMMEDIATE does), waiting the busy timeout; a long commit elsewhere outlasts
    # that, so keep waiting. Only a transaction that has written nothing yet is rolled back.
    deadline = None if wait_seconds is None else time.monotonic() + wait_seconds
    while True:
        try:
            session.execute(
                sa.text("UPDATE kelurahan SET id = id WHERE id = :id"), {"id": kelurahan_id}
            )
            return
        except sa.exc.OperationalError as error:
            if "locked" not in str(error) or (deadline and time.monotonic() > deadline):
                raise
            session.rollback()
        time.sleep(RETRY_SECONDS)
