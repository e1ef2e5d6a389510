"""Sign-in throttling per username and per address, with exponential backoff.

Failures are counted per typed username (known or not, so the answer never tells which
accounts exist) and per client address. After ``after`` failures each further failure locks
that key for base * 2^(n - after) seconds, up to a cap. Counts live in the server store
(Redis or the database) and are forgotten a day (per address: an hour) after the first
failure, or at a success.
"""

import hashlib
import time
from dataclasses import dataclass

from nutera.serverstore import DatabaseStore, RedisStore, StoreUnavailable

FAILURE_WINDOW_SECONDS = 24 * 3600
# An office behind one address must not stay locked for a day by a few colleagues' typos.
IP_FAILURE_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Policy:
    """When the backoff starts and how it grows."""

    after: int
    after_per_ip: int
    base_seconds: int
    max_seconds: int

    @classmethod
    def from_config(cls, config) -> "Policy":
        return cls(
            int(config["LOGIN_BACKOFF_AFTER"]),
            int(config["LOGIN_BACKOFF_AFTER_PER_IP"]),
            int(config["LOGIN_BACKOFF_BASE_SECONDS"]),
            int(config["LOGIN_BACKOFF_MAX_SECONDS"]),
        )

    def delay(self, failures: int, after: int) -> int:
        """Seconds the next try must wait after this many failures (0: none)."""
        if failures < after:
            return 0
        return min(self.base_seconds * 2 ** min(failures - after, 20), self.max_seconds)


def _keys(username: str, address: str) -> tuple[str, str]:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"login/u/{name}", f"login/ip/{address}"


def wait_seconds(store: RedisStore | DatabaseStore, username: str, address: str) -> int:
    """Seconds before this username (or address) may try again; 0 when it may now."""
    now = time.time()
    waits = []
    for key in _keys(username, address):
        try:
            until = store.get(key + "/until")
        except StoreUnavailable:
            return 0  # the per-IP limiter still holds; never lock everyone out
        if until:
            waits.append(float(until) - now)
    return max(0, int(max(waits, default=0) + 0.999))


def count_failure(
    store: RedisStore | DatabaseStore, policy: Policy, username: str, address: str
) -> int:
    """Count a failed sign-in; the lock in seconds that it starts (0: none)."""
    lock = 0
    per_key = zip(
        _keys(username, address),
        (policy.after, policy.after_per_ip),
        (FAILURE_WINDOW_SECONDS, IP_FAILURE_WINDOW_SECONDS),
        strict=True,
    )
    for key, after, window in per_key:
        try:
            failures = store.incr(key, window)
            delay = policy.delay(failures, after)
            if delay:
                store.put(key + "/until", str(time.time() + delay), delay)
                lock = max(lock, delay)
        except StoreUnavailable:
            continue
    return lock


def clear(store: RedisStore | DatabaseStore, username: str) -> None:
    """Forget the failures of username after a successful sign-in."""
    key, _ = _keys(username, "")
    try:
        store.delete(key)
        store.delete(key + "/until")
    except StoreUnavailable:
        pass
