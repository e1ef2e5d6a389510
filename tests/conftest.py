"""Fixtures: a fresh app per test on a database built once from the migrations."""

import os

import pytest
import sqlalchemy as sa

from nutera import create_app
from nutera.extensions import db, limiter
from tests import factories
from tests.dbutil import empty_all_tables, reset_to_migrated_schema

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = factories.PASSWORD


def _check_reachable(url: str) -> None:
    """Fail the run (never skip) when the requested PostgreSQL server cannot be reached."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        pytest.exit(f"TEST_DATABASE_URL is set but unreachable: {error}", returncode=3)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The database the suite runs on: PostgreSQL when TEST_DATABASE_URL is set."""
    if TEST_DATABASE_URL:
        _check_reachable(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def make_app(database_url, instance_path):
    """Build an app on the test database; keyword arguments override config."""

    def build(**overrides):
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": instance_path,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SERVER_NAME": None,
            "QUEUE_IMMEDIATE": True,  # jobs run at once; test_queue.py runs a real consumer
        }
        config.update(overrides)
        return create_app(config)

    reset_to_migrated_schema(build())
    return build


@pytest.fixture
def app(make_app):
    """A fresh app whose database is emptied after the test."""
    app = make_app()
    yield app
    empty_all_tables(app)
    if app.config["RATELIMIT_ENABLED"]:
        limiter.reset()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    """Run the test inside an app context (for service-level tests)."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Sign in and out through the real form."""

    def __init__(self, client):
        self._client = client

    def login(self, username: str, password: str = PASSWORD):
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def world(app):
    """Two kelurahan, each with staff and a volunteer, plus an admin."""
    with app.app_context():
        built = factories.build_world(db.session)
        db.session.commit()
        return built


@pytest.fixture
def login_as(auth, world):
    """login_as('staff') signs in as Tamansari's staff; or 'admin', 'volunteer', 'other_staff'."""

    def sign_in(role: str):
        response = auth.login(world.usernames[role])
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return sign_in
