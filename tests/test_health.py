"""/healthz is liveness, /readyz reports the database, its migrations and Redis; time limits."""

import os
import time

import pytest
import sqlalchemy as sa

from nutera.extensions import db

ON_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")


def test_readyz_reports_the_database_at_the_migration_head(client):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["database"]["ok"] and body["database"]["at_head"]
    assert body["redis"] == {"ok": True, "used": False, "ms": body["redis"]["ms"]}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_fails_when_the_database_is_gone_while_healthz_stays_alive(make_app, tmp_path):
    if ON_POSTGRES:
        gone = "postgresql+psycopg://postgres@127.0.0.1:1/nutera"
    else:
        gone = f"sqlite:///{tmp_path / 'tidak-ada' / 'db.sqlite3'}"
    client = make_app(SQLALCHEMY_DATABASE_URI=gone).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503 and response.get_json()["status"] == "fail"
    assert response.get_json()["database"]["ok"] is False
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_fails_when_migrations_are_behind(client, monkeypatch, app):
    app.extensions["nutera_migration_head"] = "9999"
    body = client.get("/readyz").get_json()
    assert body["status"] == "fail" and body["database"]["at_head"] is False


def test_readyz_is_degraded_not_down_without_redis(make_app):
    client = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0").test_client()
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json()["status"] == "degraded"
    assert response.get_json()["redis"]["ok"] is False


def test_sqlite_waits_a_deliberate_busy_timeout(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="sqlite:///:memory:", SQLITE_BUSY_TIMEOUT_SECONDS=12)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["timeout"] == 12.0


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="statement_timeout is PostgreSQL's")
def test_a_stalled_statement_in_a_web_request_stops_at_the_limit_with_a_503(make_app, monkeypatch):
    app = make_app(DB_STATEMENT_TIMEOUT_SECONDS=0.5, PROPAGATE_EXCEPTIONS=False)

    def stalled():
        db.session.execute(sa.text("SELECT pg_sleep(5)"))

    monkeypatch.setattr("nutera.main.routes.recipients_per_program", stalled)
    started = time.monotonic()
    response = app.test_client().get("/")
    assert time.monotonic() - started < 3
    assert response.status_code == 503 and "Layanan sedang sibuk" in response.get_data(
        as_text=True
    )
    assert response.headers["Retry-After"] == "10"
    # Jobs and commands have no request: no limit for them.
    with app.app_context():
        assert db.session.scalar(sa.text("SHOW statement_timeout")) == "0"


def test_readyz_reports_the_queue_and_its_depth(make_app, tmp_path):
    app = make_app(QUEUE_IMMEDIATE=False, QUEUE_URL=f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    body = app.test_client().get("/readyz").get_json()
    assert body["status"] == "ok"
    assert body["queue"]["ok"] and body["queue"]["kind"] == "sqlite"
    assert body["queue"]["pending"] == 0 and body["queue"]["scheduled"] == 0


def test_readyz_is_degraded_when_the_queue_is_unreachable(make_app):
    app = make_app(QUEUE_IMMEDIATE=False, QUEUE_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["queue"]["ok"] is False and body["queue"]["error"] == "ConnectionError"
