"""Redis is an accelerator, not a single point of failure.

Every Redis client of the app gets short connect and read timeouts and no retries, so a Redis
that is gone or hangs costs a request a fraction of a second, once: Flask-Limiter then counts
in this process's memory (its in-memory fallback) and checks Redis again now and then, and the
lookup guard does the same (nutera/lookup/guard.py). The warning that Redis is unreachable is
logged once a minute, not once per request.
"""

import logging
import threading
import time

from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

DEFAULT_TIMEOUT_SECONDS = 0.3
WARN_EVERY_SECONDS = 60
LIMITER_LOGGER = "flask-limiter"
RETRY_STORAGE_SECONDS = 30  # while a storage is down, try it again this often
UNREACHABLE = (RedisError, StorageError, OSError)


def is_redis_uri(uri: str) -> bool:
    return uri.split(":", 1)[0] in ("redis", "rediss", "redis+unix", "valkey", "valkeys")


def redis_options(timeout: float = DEFAULT_TIMEOUT_SECONDS) -> dict:
    """Keyword arguments for a Redis client that fails fast."""
    return {
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": 0,
    }


def configure(config) -> None:
    """Fast-failing Redis options and the in-memory fallback for Flask-Limiter."""
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if is_redis_uri(config.get("RATELIMIT_STORAGE_URI", "")):
        options = redis_options(
            float(config.get("REDIS_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))
        )
        config["RATELIMIT_STORAGE_OPTIONS"] = {
            **options,
            **config.get("RATELIMIT_STORAGE_OPTIONS", {}),
        }


class OncePerMinute(logging.Filter):
    """Let one record of each message through per minute."""

    def __init__(self, seconds: float = WARN_EVERY_SECONDS):
        super().__init__()
        self._seconds = seconds
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Whether a message with this key may be logged now."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._seconds:
                return False
            self._last[key] = now
        return True

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.WARNING or self.allow(str(record.msg))


_FILTER = OncePerMinute()


def init_app(app) -> None:
    """Throttle Flask-Limiter's 'storage unreachable' warnings (it logs one per failover)."""
    logger = logging.getLogger(LIMITER_LOGGER)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


def warn(logger: logging.Logger, message: str, *args) -> None:
    """Log a warning about Redis, at most once a minute for the same message."""
    if _FILTER.allow(message):
        logger.warning(message, *args)


class CounterFallback:
    """Per-process counters for limits counted by hand on Flask-Limiter's storage (the
    lookup's guard, the API's per-client limit) while that storage is unreachable; what
    names them in the warning."""

    def __init__(self, what: str, log: logging.Logger):
        self.what, self.log = what, log
        self.storage = MemoryStorage()
        self.strategy = FixedWindowRateLimiter(self.storage)
        self.down_until = 0.0

    def active(self, storage: Storage) -> bool:
        return not isinstance(storage, MemoryStorage) and time.monotonic() < self.down_until

    def went_down(self, error: Exception) -> None:
        self.down_until = time.monotonic() + RETRY_STORAGE_SECONDS
        # Formatted first: the once-a-minute filter goes by the message, one per component.
        warn(
            self.log,
            f"{self.what} storage unreachable ({type(error).__name__}): counting in memory",
        )
