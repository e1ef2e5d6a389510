"""SQLite runs in WAL mode with full durability, relaxed only for one read-audit commit."""

import pytest
import sqlalchemy as sa

from nutera.extensions import db
from nutera.sqlite_journal import relaxed_durability


@pytest.fixture
def sqlite_app(app):
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        pytest.skip("the journal mode is SQLite's")
    return app


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
