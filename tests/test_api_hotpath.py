"""The status check's lean paths do what the general ones did: the per-client limit on Redis
(nutera/hotredis.py), the read-audit row on the DBAPI cursor (hotsql.execute with
sqlite_journal.commit_relaxed) and the JSON body parser (nutera/api/parsing.py)."""

import os
import threading
import time
from datetime import date

import pytest
import redis
import sqlalchemy as sa
from flask import g
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import HTTPException

from nutera import hotredis
from nutera.api import reads
from nutera.api.auth import CallingClient
from nutera.api.clients import ClientInput, register_client, revoke_client
from nutera.api.parsing import JsonBodyParser
from nutera.api.schemas import BatchQuery, StatusQuery
from nutera.extensions import db, limiter
from nutera.models import AuditLog, User
from nutera.models.api import ApiClient, ApiScope
from tests.test_api import _head, api  # noqa: F401 (the API client fixture)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHECK = "/api/v1/status/check"


# --- the per-client limit on Redis ----------------------------------------------------------


@pytest.fixture
def redis_app(make_app):
    redis.Redis.from_url(REDIS_URL).flushdb()
    limiter._storage_dead = False
    app = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL, API_RATE_LIMIT="3 per minute"
    )
    yield app
    redis.Redis.from_url(REDIS_URL).flushdb()


def _client(app, world, scopes=(ApiScope.STATUS_READ.value,)) -> tuple[str, str]:
    with app.app_context():
        admin = db.session.get(User, world.user_ids["admin"])
        client, secret = register_client(
            db.session,
            admin,
            ClientInput("X", list(scopes), [world.kelurahan_id]),
            date(2026, 12, 1),
        )
        db.session.commit()
        return client.client_id, secret


def _token(http, client_id, secret) -> str:
    response = http.post(
        "/api/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


def _check(http, token, address="10.0.0.1"):
    return http.post(
        CHECK,
        json={"nik": "3273024102809999", "name": "Siti Aminah"},
        headers={"Authorization": f"Bearer {token}"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_per_client_limit_counts_on_redis_as_limits_does(redis_app, world):
    client_id, secret = _client(redis_app, world)
    http = redis_app.test_client()
    token = _token(http, client_id, secret)
    codes = [_check(http, token, f"10.0.0.{i}").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    # The counter is limits' own: the key, the count and the window's expiry.
    storage = storage_from_string(REDIS_URL)
    item = parse("3 per minute")
    assert storage.get(item.key_for("api-client", client_id)) == 4
    assert 0 < storage.get_expiry(item.key_for("api-client", client_id)) - time.time() <= 60
    assert not FixedWindowRateLimiter(storage).test(item, "api-client", client_id)
    # Another client has its own count.
    other_id, other_secret = _client(redis_app, world)
    assert _check(http, _token(http, other_id, other_secret)).status_code == 200


def test_a_script_redis_lost_is_loaded_again(redis_app, world):
    client_id, secret = _client(redis_app, world)
    http = redis_app.test_client()
    token = _token(http, client_id, secret)
    assert _check(http, token).status_code == 200
    redis.Redis.from_url(REDIS_URL).script_flush()
    assert _check(http, token).status_code == 200
    assert _check(http, token).status_code == 200
    assert _check(http, token).status_code == 429


def test_a_revoked_client_is_refused_on_its_next_call_with_the_redis_limit(redis_app, world):
    client_id, secret = _client(redis_app, world)
    http = redis_app.test_client()
    token = _token(http, client_id, secret)
    assert _check(http, token).status_code == 200
    with redis_app.app_context():
        client = db.session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id))
        revoke_client(db.session, client)
        db.session.commit()
    assert _check(http, token).status_code == 401


@pytest.fixture
def script():
    redis.Redis.from_url(REDIS_URL).flushdb()
    storage = storage_from_string(REDIS_URL)
    yield storage, storage.lua_incr_expire
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_held_connections_answer_as_the_script_does(script):
    storage, lua = script
    held = hotredis.held_connections(storage, storage.get_connection())
    assert held is hotredis.held_connections(storage, storage.get_connection())
    assert [int(held.evalsha(lua, ["k"], [60, 1])) for _ in range(3)] == [1, 2, 3]
    assert int(lua(["k"], [60, 1])) == 4  # redis-py's own call sees the same counter
    assert int(held.evalsha(lua, ["k"], [60, 2])) == 6


def test_each_thread_keeps_its_own_connection(script):
    storage, lua = script
    held = hotredis.held_connections(storage, storage.get_connection())
    held.evalsha(lua, ["k"], [60, 1])
    mine = held._connection()
    theirs = []
    thread = threading.Thread(
        target=lambda: (held.evalsha(lua, ["k"], [60, 1]), theirs.append(held._connection()))
    )
    thread.start()
    thread.join()
    assert theirs and theirs[0] is not mine
    assert int(redis.Redis.from_url(REDIS_URL).get("k")) == 2


def test_a_broken_connection_fails_once_then_connects_again(script):
    storage, lua = script
    held = hotredis.held_connections(storage, storage.get_connection())
    held.evalsha(lua, ["k"], [60, 1])
    held._connection()._sock.close()  # the connection dies under the held reference
    with pytest.raises((redis.RedisError, OSError)):
        held.evalsha(lua, ["k"], [60, 1])
    assert int(held.evalsha(lua, ["k"], [60, 1])) == 2


# --- the read-audit row ---------------------------------------------------------------------


def test_the_audit_row_written_on_the_cursor_is_the_one_execute_wrote(app, world):
    client = CallingClient(
        7, "abc", "SANTER", frozenset({"status:read"}), [world.kelurahan_id], []
    )
    with app.test_request_context(CHECK, method="POST", environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        with app.app_context():
            db.session.execute(sa.delete(AuditLog))
            db.session.commit()
        g.api_client = client
        row = reads._read_row(client, "/api/v1/status/check", "cek status", 1, ["ab" * 32])
        row["api_client_id"] = None  # no such client row in this database
        with db.engine.connect() as connection:
            connection.execute(sa.insert(AuditLog.__table__), [row])
            connection.commit()
        with db.engine.connect() as connection:
            reads._write(connection, row)
        with app.app_context():
            old, new = db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
            columns = [c.key for c in AuditLog.__table__.columns if c.key != "id"]
            assert {c: getattr(new, c) for c in columns} == {c: getattr(old, c) for c in columns}
            assert new.changes["nik_hashes"] == ["ab" * 32] and new.ip == "10.1.2.3"
            assert new.at is not None and new.kelurahan_id == world.kelurahan_id


def test_a_status_check_leaves_its_audit_row_with_every_field(app, api, world):  # noqa: F811
    nik, name = _head(app, world)
    token = api.login([ApiScope.STATUS_READ.value])
    response = api.call("POST", CHECK, token, json={"nik": nik, "name": name})
    assert response.status_code == 200 and response.get_json()["found"] is True
    with app.app_context():
        row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "api_read"))
        assert row.api_client_id is not None and row.user_id is None
        assert row.kelurahan_id == world.kelurahan_id and row.entity == CHECK
        assert row.entity_id is None and row.ip == "127.0.0.1" and row.at is not None
        client = db.session.get(ApiClient, row.api_client_id)
        assert row.changes == {
            "client": client.client_id,
            "client_name": client.name,
            "method": "POST",
            "endpoint": CHECK,
            "purpose": "cek status",
            "records": 1,
            "nik_hashes": [reads.nik_digest(nik, app.config["SECRET_KEY"])],
        }


# --- the JSON body parser -------------------------------------------------------------------

BODIES = [
    ("application/json", b'{"nik": "3273024102809999", "name": "Siti Aminah"}'),
    ("application/json", b'{"nik": "327302410280999", "name": "Siti Aminah"}'),
    ("application/json", b'{"nik": "3273024102809999", "name": "S"}'),
    ("application/json", b'{"nik": "3273024102809999"}'),
    ("application/json", b'{"nik": "3273024102809999", "name": "Siti", "x": 1}'),
    ("application/json", b'{"nik": 3273024102809999, "name": null}'),
    ("application/json", b"[]"),
    ("application/json", b"null"),
    ("application/json", b'"text"'),
    ("application/json", b"{"),
    ("application/json", b"\xff\xfe{}"),
    ("application/json", b""),
    ("application/vnd.api+json", b'{"nik": "3273024102809999", "name": "Siti Aminah"}'),
    ("text/plain", b'{"nik": "3273024102809999", "name": "Siti Aminah"}'),
    ("application/x-www-form-urlencoded", b"nik=3273024102809999&name=Siti"),
    (None, b""),
]


def _outcome(parser, app, schema, content_type, body):
    environ = {"CONTENT_TYPE": content_type} if content_type else {}
    with app.test_request_context(CHECK, method="POST", data=body, environ_base=environ):
        from flask import request

        try:
            return "ok", parser.parse(schema, request, location="json")
        except HTTPException as error:
            return error.code, getattr(error, "data", None) and error.data.get("messages")


@pytest.mark.parametrize(("content_type", "body"), BODIES)
def test_the_json_body_parser_loads_and_refuses_as_webargs_does(app, content_type, body):
    from webargs.flaskparser import FlaskParser

    for schema in (StatusQuery(), BatchQuery()):
        ours = _outcome(JsonBodyParser(), app, schema, content_type, body)
        theirs = _outcome(FlaskParser(), app, schema, content_type, body)
        assert ours == theirs, (content_type, body)


def test_the_json_body_parser_hands_other_locations_to_webargs(app):
    from marshmallow import fields

    with app.test_request_context("/?limit=5"):
        from flask import request

        parsed = JsonBodyParser().parse({"limit": fields.Integer()}, request, location="query")
    assert parsed == {"limit": 5}


# --- no browser session on machine calls ----------------------------------------------------


def test_machine_calls_are_told_apart_from_the_api_pages(app):
    from nutera.offline import SESSIONLESS

    machine = app.extensions[SESSIONLESS]
    for path in (CHECK, "/api/v1/status/check-batch", "/api/v1/oauth/token", "/api/v1/persons/1"):
        assert machine(path), path
    for path in ("/api/v1/docs", "/api/v1/openapi.json", "/api/v1/referensi", "/api/v1/", "/cek"):
        assert not machine(path), path
    assert not machine("/kelola/api-klien/")


def test_a_machine_call_neither_reads_nor_writes_the_session_cookie(app, client, login_as, api):  # noqa: F811
    login_as("staff")  # the browser holds a staff session cookie
    assert client.get("/dasbor").status_code == 200
    token = api.login([ApiScope.STATUS_READ.value])
    response = client.post(
        CHECK,
        json={"nik": "3273024102809999", "name": "Siti Aminah"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200 and response.get_json()["found"] is False
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.vary
    refused = client.post(CHECK, json={"nik": "3273024102809999", "name": "Siti Aminah"})
    assert refused.status_code == 401  # the staff session is no credential for the API
    assert client.get("/dasbor").status_code == 200  # and it is still there for the pages
    assert client.get("/api/v1/docs").status_code == 200
