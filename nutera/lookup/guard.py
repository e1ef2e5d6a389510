"""Abuse guards of the NIK lookup: per-IP rate limits and the failed tries behind the captcha.

Plain functions over Flask-Limiter's storage and strategy (the `limits` library), so they
need no request. On Redis one lookup costs one round trip: every limit is counted and the
failed tries are read in a single pipeline. Each round trip costs about 0.1 ms of CPU and a
wake-up of another process here, as much as the lookup's own database query.
"""

from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from redis.exceptions import NoScriptError

FAILURE_WINDOW_SECONDS = 3600
_SCOPE = "cek"


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
    if _one_round_trip(storage, strategy):
        try:
            return _admit_in_one_round_trip(storage, limits, address)
        except NoScriptError:  # Redis lost its scripts (restart, SCRIPT FLUSH): reload below
            pass
    allowed = all([strategy.hit(item, _SCOPE, address) for item in limits])
    return Admission(allowed, storage.get(_failure_key(address)))


def _admit_in_one_round_trip(
    storage: RedisStorage, limits: tuple[RateLimitItem, ...], address: str
) -> Admission:
    # What FixedWindowRateLimiter.hit asks of RedisStorage.incr, pipelined. EVALSHA by hand:
    # redis-py would send SCRIPT EXISTS first for a Script object in a pipeline.
    pipe = storage.get_connection().pipeline(transaction=False)
    for item in limits:
        pipe.evalsha(
            storage.lua_incr_expire.sha,
            1,
            storage.prefixed_key(item.key_for(_SCOPE, address)),
            item.get_expiry(),
            1,
        )
    pipe.get(storage.prefixed_key(_failure_key(address)))
    *counts, failures = pipe.execute()
    allowed = all(int(count) <= item.amount for count, item in zip(counts, limits, strict=False))
    return Admission(allowed, int(failures or 0))


def failures(storage: Storage, address: str) -> int:
    """Failed tries from address in the last hour (shown the form: is a captcha due?)."""
    return storage.get(_failure_key(address))


def count_failure(storage: Storage, address: str) -> None:
    """One more failed try from address; they are forgotten an hour after the first."""
    storage.incr(_failure_key(address), FAILURE_WINDOW_SECONDS)
