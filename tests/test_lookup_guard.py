"""The lookup's abuse guards on memory and Redis storage: limits, failed tries, round trips."""

import os

import pytest
import redis
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from nutera.lookup import guard

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
UNKNOWN_NIK = "3273024102809999"


@pytest.fixture(params=["memory", "redis"])
def storage(request):
    """A fresh rate-limit storage of each kind the app supports."""
    if request.param == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
        storage = storage_from_string(REDIS_URL)
    else:
        storage = storage_from_string("memory://")
    yield storage
    storage.reset()


def test_admit_counts_every_limit_and_refuses_past_any(storage):
    strategy = FixedWindowRateLimiter(storage)
    limits = guard.parsed_limits("2 per minute;3 per hour")
    verdicts = [guard.admit(storage, strategy, limits, "10.0.0.1").allowed for _ in range(3)]
    assert verdicts == [True, True, False]  # the per-minute limit refuses the third
    assert guard.admit(storage, strategy, limits, "10.0.0.2").allowed  # another address


def test_failed_tries_are_counted_per_address(storage):
    strategy = FixedWindowRateLimiter(storage)
    limits = guard.parsed_limits("100 per minute")
    for _ in range(2):
        guard.count_failure(storage, "10.0.0.1")
    assert guard.admit(storage, strategy, limits, "10.0.0.1").failures == 2
    assert guard.failures(storage, "10.0.0.1") == 2
    assert guard.admit(storage, strategy, limits, "10.0.0.9").failures == 0


def test_on_redis_a_lookup_costs_one_round_trip(monkeypatch):
    redis.Redis.from_url(REDIS_URL).flushdb()
    storage = storage_from_string(REDIS_URL)
    strategy = FixedWindowRateLimiter(storage)
    limits = guard.parsed_limits("10 per minute;60 per hour")
    guard.admit(storage, strategy, limits, "10.0.0.1")  # loads the script once
    sent = []
    original = redis.connection.AbstractConnection.send_packed_command
    monkeypatch.setattr(
        redis.connection.AbstractConnection,
        "send_packed_command",
        lambda self, command, *a, **k: sent.append(command) or original(self, command, *a, **k),
    )
    admission = guard.admit(storage, strategy, limits, "10.0.0.1")
    # Two counters and one read in a single send: no SCRIPT EXISTS, no second trip.
    assert len(sent) == 1 and admission.allowed
    # The counters are the ones Flask-Limiter's strategy reads.
    assert strategy.get_window_stats(limits[0], "cek", "10.0.0.1").remaining == 8


def test_redis_that_lost_its_scripts_still_counts():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    storage = storage_from_string(REDIS_URL)
    strategy = FixedWindowRateLimiter(storage)
    limits = guard.parsed_limits("2 per minute")
    assert guard.admit(storage, strategy, limits, "10.0.0.1").allowed
    client.script_flush()
    assert guard.admit(storage, strategy, limits, "10.0.0.1").allowed
    assert not guard.admit(storage, strategy, limits, "10.0.0.1").allowed


def test_other_strategies_go_through_the_strategy(storage):
    strategy = MovingWindowRateLimiter(storage)
    limits = guard.parsed_limits("1 per minute")
    assert guard.admit(storage, strategy, limits, "10.0.0.1").allowed
    assert not guard.admit(storage, strategy, limits, "10.0.0.1").allowed


@pytest.mark.parametrize("uri", ["memory://", REDIS_URL])
def test_captcha_follows_the_address_even_without_the_session_cookie(make_app, world, uri):
    """Dropping the cookie (a fresh session each try) does not dodge the captcha."""
    if uri.startswith("redis"):
        redis.Redis.from_url(uri).flushdb()
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=uri,
        CEK_RATE_LIMIT="100 per minute",
        CEK_CAPTCHA_AFTER=3,
    )
    pages = [
        app.test_client()
        .post("/cek", data={"nik": UNKNOWN_NIK, "nama": "A B"})
        .get_data(as_text=True)
        for _ in range(3)
    ]
    assert "Ketik kode pada gambar" not in pages[1] and "Ketik kode pada gambar" in pages[2]
    fresh = app.test_client()
    assert "Ketik kode pada gambar" in fresh.get("/cek").get_data(as_text=True)
    page = fresh.post("/cek", data={"nik": UNKNOWN_NIK, "nama": "A B"}).get_data(as_text=True)
    assert "Jawaban kode pada gambar salah" in page and "Data tidak ditemukan" not in page
    with app.app_context():
        from nutera.extensions import limiter

        limiter.reset()
