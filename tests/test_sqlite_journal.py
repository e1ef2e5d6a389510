"""SQLite runs in WAL mode with full durability, relaxed only for one read-audit commit,
which takes a turn on a lock file so that two workers' commits queue.

The app here always has its own SQLite file, so these run in the PostgreSQL pass too."""

import multiprocessing
import os
import threading
import time

import pytest
import sqlalchemy as sa

from nutera import create_app, sqlite_journal
from nutera.extensions import db
from nutera.sqlite_journal import commit_relaxed, relaxed_durability, writer_turn


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "journal",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'journal.sqlite3'}",
            "RATELIMIT_ENABLED": False,
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_file_database_is_in_wal_mode_with_full_sync(sqlite_app):
    with sqlite_app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_a_relaxed_commit_is_kept_and_full_sync_comes_back(sqlite_app):
    with sqlite_app.app_context():
        with db.engine.connect() as connection, relaxed_durability(connection):
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            connection.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
            connection.execute(sa.text("INSERT INTO probe VALUES (7)"))
            connection.commit()
        # The same pooled connection is handed out next: it must flush fully again.
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
            assert connection.execute(sa.text("SELECT x FROM probe")).scalar() == 7


@pytest.fixture
def probe_engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'turns.sqlite3'}")
    sqlite_journal.init_app(None, engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE probe (x INTEGER)")
    yield engine
    engine.dispose()


def _insert(value):
    return lambda cursor: cursor.execute("INSERT INTO probe VALUES (?)", (value,))


def test_a_relaxed_commit_on_the_cursor_keeps_its_row_and_full_sync_comes_back(probe_engine):
    seen = []
    with probe_engine.connect() as connection:

        def write(cursor):
            seen.append(cursor.execute("PRAGMA synchronous").fetchone()[0])
            cursor.execute("INSERT INTO probe VALUES (7)")

        commit_relaxed(connection, write)
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL again
    assert seen == [1]  # NORMAL for that commit
    with probe_engine.connect() as connection:

        def fail(cursor):
            cursor.execute("INSERT INTO probe VALUES (8)")
            raise RuntimeError("after the insert")

        with pytest.raises(RuntimeError):
            commit_relaxed(connection, fail)
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    with probe_engine.connect() as connection:  # the failed write was not committed
        assert connection.exec_driver_sql("SELECT x FROM probe").scalars().all() == [7]


def test_a_failed_relaxed_transaction_still_gives_full_sync_back(probe_engine):
    with probe_engine.connect() as connection:
        with pytest.raises(RuntimeError), relaxed_durability(connection):
            connection.exec_driver_sql("INSERT INTO probe VALUES (8)")
            raise RuntimeError("after the insert")
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert connection.exec_driver_sql("SELECT count(*) FROM probe").scalar() == 0


# --- hot writers take turns on a file lock instead of SQLite's sleeping busy handler ---------


def test_a_hot_writer_waits_for_the_turn_of_another_thread_then_commits(probe_engine):
    done = threading.Event()

    def other_writer():
        with probe_engine.connect() as connection:
            commit_relaxed(connection, _insert(2))
        done.set()

    with probe_engine.connect() as holder:
        with writer_turn(holder):
            worker = threading.Thread(target=other_writer)
            worker.start()
            # SQLite itself is not locked by anyone: only the turn holds the other back.
            assert not done.wait(0.3)
        assert done.wait(5)
        worker.join()
    with probe_engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT x FROM probe").scalars().all() == [2]


def test_a_hot_writer_waits_for_the_turn_of_another_worker_process(probe_engine):
    with probe_engine.connect() as connection:
        commit_relaxed(connection, _insert(1))  # this process opened its lock file already
    context = multiprocessing.get_context("fork")
    holding, release = context.Event(), context.Event()

    def worker():  # a forked gunicorn worker: its own descriptor, not the parent's
        with probe_engine.connect() as connection, writer_turn(connection):
            holding.set()
            release.wait(10)

    child = context.Process(target=worker)
    child.start()
    try:
        assert holding.wait(10)
        threading.Timer(0.4, release.set).start()
        started = time.monotonic()
        with probe_engine.connect() as connection:
            commit_relaxed(connection, _insert(2))
        assert time.monotonic() - started >= 0.3
    finally:
        release.set()
        child.join(10)
    with probe_engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT x FROM probe").scalars().all() == [1, 2]


def test_without_a_lock_file_the_write_still_commits(probe_engine, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only folder")

    monkeypatch.setattr(sqlite_journal, "_turns", threading.local())
    monkeypatch.setattr(sqlite_journal.os, "open", refuse)
    with probe_engine.connect() as connection:
        sqlite_journal.commit_relaxed(connection, _insert(3))
    monkeypatch.undo()
    with probe_engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT x FROM probe").scalars().all() == [3]


def test_a_thread_that_ends_gives_its_lock_file_back(probe_engine):
    def open_descriptors():
        return len(os.listdir("/proc/self/fd"))

    def one_request(value):  # a development server's thread per request
        with probe_engine.connect() as connection:
            commit_relaxed(connection, _insert(value))

    one_request(0)  # the pool's connection and this thread's lock file are open now
    before = open_descriptors()
    for value in range(1, 21):
        worker = threading.Thread(target=one_request, args=(value,))
        worker.start()
        worker.join()
    assert open_descriptors() <= before + 1
    with probe_engine.connect() as connection:
        assert len(connection.exec_driver_sql("SELECT x FROM probe").all()) == 21


def test_a_thread_keeps_few_lock_files_open_however_many_databases_it_writes(tmp_path):
    before = len(os.listdir("/proc/self/fd"))
    for n in range(30):
        engine = sa.create_engine(f"sqlite:///{tmp_path / f'db{n}.sqlite3'}")
        sqlite_journal.init_app(None, engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE probe (x INTEGER)")
            sqlite_journal.commit_relaxed(connection, _insert(n))
        engine.dispose()
    assert len(os.listdir("/proc/self/fd")) <= before + 8
