"""SQLite runs in WAL mode with full durability, relaxed only for one read-audit commit.

The app here always has its own SQLite file, so these run in the PostgreSQL pass too."""

import pytest
import sqlalchemy as sa

from nutera import create_app
from nutera.extensions import db
from nutera.sqlite_journal import relaxed_durability


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
