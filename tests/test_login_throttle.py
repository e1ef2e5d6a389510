"""Sign-in throttling per username and per address, the same for unknown usernames."""

import os

import pytest

from tests.conftest import PASSWORD

REDIS_URL = os.environ.get("TEST_REDIS_URL")


def _fail(client, username, times):
    for _ in range(times):
        client.post("/login", data={"username": username, "password": "salah-sekali-123"})


@pytest.mark.parametrize("username", ["petugas", "tidak-ada"])
def test_backoff_after_five_failures_the_same_for_unknown_users(client, world, username):
    _fail(client, username, 5)
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 429
    assert "Terlalu banyak percobaan masuk yang gagal" in response.text
    assert "Nama pengguna atau kata sandi salah." not in response.text


def test_the_right_password_waits_out_the_lock_then_works(app, client, world, monkeypatch):
    import time

    from nutera.auth import throttle

    _fail(client, "petugas", 5)
    assert (
        client.post("/login", data={"username": "petugas", "password": PASSWORD}).status_code
        == 429
    )
    later = time.time() + 31
    monkeypatch.setattr(throttle.time, "time", lambda: later)
    assert (
        client.post("/login", data={"username": "petugas", "password": PASSWORD}).status_code
        == 302
    )


def test_backoff_doubles_up_to_the_cap():
    from nutera.auth.throttle import Policy

    policy = Policy(after=5, after_per_ip=20, base_seconds=30, max_seconds=900)
    assert [policy.delay(n, 5) for n in (4, 5, 6, 7, 10)] == [0, 30, 60, 120, 900]


def test_other_usernames_are_not_locked_by_one_attack(client, world):
    _fail(client, "admin", 6)
    assert (
        client.post("/login", data={"username": "petugas", "password": PASSWORD}).status_code
        == 302
    )


def test_many_usernames_from_one_address_are_throttled(make_app, world):
    app = make_app(LOGIN_BACKOFF_AFTER_PER_IP=8)
    client = app.test_client()
    for number in range(8):
        _fail(client, f"tebakan{number}", 1)
    response = client.post("/login", data={"username": "petugas", "password": PASSWORD})
    assert response.status_code == 429


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
def test_backoff_counts_in_redis_when_the_limiter_does(make_app, world):
    import redis

    from nutera.serverstore import RedisStore

    redis.Redis.from_url(REDIS_URL).flushdb()
    app = make_app(RATELIMIT_STORAGE_URI=REDIS_URL)
    assert isinstance(app.extensions["server_store"], RedisStore)
    client = app.test_client()
    _fail(client, "petugas", 5)
    assert (
        client.post("/login", data={"username": "petugas", "password": PASSWORD}).status_code
        == 429
    )
    redis.Redis.from_url(REDIS_URL).flushdb()
