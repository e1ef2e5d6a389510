"""Redis gone or hanging: public pages and sign-in still answer, fast, limits count in memory."""

import logging
import socket
import threading
import time

import pytest

from nutera import redis_fallback
from nutera.api import auth as api_auth
from nutera.extensions import limiter
from nutera.lookup import guard
from tests.factories import PASSWORD
from tests.factories_complaints import TAMANSARI, form_data

FORM = f"/pengaduan?kelurahan={TAMANSARI}"
NIK = "3273024101900001"


def _stopped_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class HangingServer:
    """Accepts connections and never answers (a Redis that hangs)."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self):
        for connection in self.connections:
            connection.close()
        self.socket.close()


@pytest.fixture(params=["stopped", "hanging"])
def broken_redis(request, make_app, world):
    """An app whose rate limits live on a Redis that is stopped or hangs."""
    server = HangingServer() if request.param == "hanging" else None
    port = server.port if server else _stopped_port()
    guard._fallback.down_until = 0.0
    limiter._storage_dead = False
    redis_fallback._FILTER._last.clear()
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0",
        LOGIN_RATE_LIMIT="5 per minute",
    )
    yield app
    limiter._storage_dead = False
    guard._fallback.down_until = 0.0
    if server:
        server.close()


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_public_pages_and_sign_in_answer_without_redis(broken_redis, world, caplog):
    app = broken_redis
    client = app.test_client()
    caplog.set_level(logging.WARNING)
    calls = [
        lambda: client.get("/cek"),
        lambda: client.post("/cek", data={"nik": NIK, "nama": "Siti"}),
        lambda: client.get(FORM),
        lambda: client.post(
            FORM,
            data=form_data(app.config.get("LAST_CAPTCHA_ANSWER", "XXXXX")),  # no store: refused
            content_type="multipart/form-data",
        ),
        lambda: client.get("/pengaduan/NTR-K7XMA-3PC9R"),
        lambda: client.post("/login", data={"username": "tidak-ada", "password": "salah"}),
        lambda: client.post(
            "/login", data={"username": world.usernames["staff"], "password": PASSWORD}
        ),
    ]
    durations = []
    for call in calls * 3:
        response, seconds = timed(call)
        assert response.status_code in (200, 302, 404, 422, 429), response.status_code
        durations.append(seconds)
    # A short timeout once, then memory: never a multi-second wait on every call (the
    # bounds leave room for a loaded 2-core machine; the bench measures it on gunicorn).
    durations.sort()
    assert durations[len(durations) // 2] < 1.0 and durations[-1] < 4.0
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    # One warning per component (limiter, lookup guard, captcha store) for the whole run, not
    # one per request.
    components = sorted(r.getMessage().split(" storage")[0].split(" store")[0] for r in warnings)
    assert components == ["Lookup guard", "Rate limit", "captcha"]


def test_limits_still_count_in_memory_while_redis_is_down(broken_redis):
    client = broken_redis.test_client()
    codes = [
        client.post("/login", data={"username": "x", "password": "y"}).status_code
        for _ in range(7)
    ]
    assert codes[:5] == [200] * 5 and codes[-1] == 429
    lookups = [
        client.post("/cek", data={"nik": NIK, "nama": "Siti"}).status_code for _ in range(12)
    ]
    assert lookups[-1] == 429  # CEK_RATE_LIMIT 10 per minute, counted in this process


def test_redis_clients_fail_fast_and_the_limiter_falls_back(make_app):
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/5")
    options = app.config["RATELIMIT_STORAGE_OPTIONS"]
    assert options["socket_timeout"] < 1 and options["socket_connect_timeout"] < 1
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True


def test_api_calls_answer_and_count_per_client_in_memory_while_redis_is_down(
    broken_redis, world, caplog
):
    from tests.test_api_hotpath import _check, _client, _token

    app = broken_redis
    api_auth._fallback.down_until = 0.0
    app.config["API_RATE_LIMIT"] = "3 per minute"
    caplog.set_level(logging.WARNING)
    http = app.test_client()
    client_id, secret = _client(app, world)
    token = _token(http, client_id, secret)  # Flask-Limiter's own fallback on the token route
    # As on a worker whose first call since Redis went down is an API call: Flask-Limiter has
    # not switched to its fallback (its hook does not run for the API's resources).
    limiter._storage_dead = False
    codes = [_check(http, token, f"10.0.0.{i}").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]  # the client's limit, counted in this process
    answer = _check(http, token)
    assert answer.status_code == 429 and answer.mimetype == "application/problem+json"
    warnings = [r.getMessage() for r in caplog.records if "API client limit" in r.getMessage()]
    assert len(warnings) == 1 and "counting in memory" in warnings[0]
    api_auth._fallback.down_until = 0.0
