"""Abuse guards of the NIK lookup: per-IP rate limits and the failed tries behind the captcha.

Plain functions over Flask-Limiter's storage and strategy (the `limits` library), so they
need no request. On Redis one lookup costs one round trip: every limit is counted and the
failed tries are read by a single script. Each round trip costs about 0.1 ms of CPU and a
wake-up of another process here, as much as the lookup's own database query.

When the storage (Redis) is unreachable or slow, the guard counts in this process's memory
for a while, as Flask-Limiter's in-memory fallback does, and warns once a minute.
"""

import logging
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from redis.exceptions import NoScriptError

from nutera import redis_fallback

FAILURE_WINDOW_SECONDS = 3600
_SCOPE = "cek"
_UNREACHABLE = redis_fallback.UNREACHABLE
_log = logging.getLogger(__name__)


_fallback = redis_fallback.CounterFallback("Lookup guard", _log)


@dataclass(frozen=True)
class Admission:
    """Whether a lookup is within every limit, and the failed tries of its address."""

    allowed: bool
    failures: int


@lru_cache(maxsize=8)
def parsed_limits(text: str) -> tuple[RateLimitItem, ...]:
    """'10 per minute;60 per hour' as limit items (parsed once per distinct text)."""
    return tuple(parse_many(text))


def _failure_key(address: str) -> str:
    return f"cek-gagal/{address}"


def _one_round_trip(storage: Storage, strategy: RateLimiter) -> bool:
    # Only where the fixed-window counting below is exactly what the strategy would do.
    return type(storage) is RedisStorage and type(strategy) is FixedWindowRateLimiter


def admit(
    storage: Storage, strategy: RateLimiter, limits: tuple[RateLimitItem, ...], address: str
) -> Admission:
    """Count one lookup from address against every limit and read its failed tries."""
    if not _fallback.active(storage):
        try:
            return _admit(storage, strategy, limits, address)
        except _UNREACHABLE as error:
            _fallback.went_down(error)
    return _admit(_fallback.storage, _fallback.strategy, limits, address)


def _admit(
    storage: Storage, strategy: RateLimiter, limits: tuple[RateLimitItem, ...], address: str
) -> Admission:
    if _one_round_trip(storage, strategy):
        try:
            return _admit_in_one_round_trip(storage, limits, address)
        except NoScriptError:  # lost again while reloading (SCRIPT FLUSH): count below
            pass
    allowed = all([strategy.hit(item, _SCOPE, address) for item in limits])
    return Admission(allowed, storage.get(_failure_key(address)))


# FixedWindowRateLimiter.hit on RedisStorage is limits' incr_expire.lua per limit; this is
# that script for every limit of a lookup, followed by the read of the failed tries, in one
# EVALSHA (one command: cheaper to send and parse than a pipeline of three).
_ADMIT_SCRIPT = """
local n = #KEYS - 1
local replies = {}
for i = 1, n do
    local current = redis.call("incrby", KEYS[i], 1)
    if tonumber(current) == 1 then
        redis.call("expire", KEYS[i], ARGV[i])
    end
    replies[i] = current
end
replies[n + 1] = tonumber(redis.call("get", KEYS[n + 1]) or "0")
return replies
"""


def _admit_script(storage: RedisStorage):
    """The admission script registered on storage's client (once per storage)."""
    script = getattr(storage, "_nutera_cek_admit", None)
    if script is None:
        script = storage._nutera_cek_admit = storage.get_connection().register_script(
            _ADMIT_SCRIPT
        )
    return script


def _admit_in_one_round_trip(
    storage: RedisStorage, limits: tuple[RateLimitItem, ...], address: str
) -> Admission:
    # redis-py's Script sends EVALSHA alone, and loads the script only when Redis lost it.
    keys = [storage.prefixed_key(item.key_for(_SCOPE, address)) for item in limits]
    keys.append(storage.prefixed_key(_failure_key(address)))
    *counts, failures = _admit_script(storage)(keys, [item.get_expiry() for item in limits])
    allowed = all(int(count) <= item.amount for count, item in zip(counts, limits, strict=False))
    return Admission(allowed, int(failures or 0))


def failures(storage: Storage, address: str) -> int:
    """Failed tries from address in the last hour (shown the form: is a captcha due?)."""
    if not _fallback.active(storage):
        try:
            return storage.get(_failure_key(address))
        except _UNREACHABLE as error:
            _fallback.went_down(error)
    return _fallback.storage.get(_failure_key(address))


def count_failure(storage: Storage, address: str) -> None:
    """One more failed try from address; they are forgotten an hour after the first."""
    if not _fallback.active(storage):
        try:
            storage.incr(_failure_key(address), FAILURE_WINDOW_SECONDS)
            return
        except _UNREACHABLE as error:
            _fallback.went_down(error)
    _fallback.storage.incr(_failure_key(address), FAILURE_WINDOW_SECONDS)
