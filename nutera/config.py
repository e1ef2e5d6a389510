"""Committed defaults; secrets and deployment choices come from the environment or instance/."""

import os
import secrets
from datetime import timedelta
from pathlib import Path


class DefaultConfig:
    """Settings that are safe to commit."""

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BTN_SIZE = "md"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # NUTERA_SESSION_COOKIE_SECURE=true behind HTTPS
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    # MAX_CONTENT_LENGTH follows NUTERA_REFRESH_MAX_UPLOAD_BYTES (nutera/upload_limits.py).
    REFRESH_MAX_UPLOAD_BYTES = 300 * 1024 * 1024
    # Sanding (recipient lists against the population): candidate scores 0-100 at or above
    # which a match is proposed for bulk confirmation / sent to the review queue, and the
    # name score below which a NIK match is reported as "name differs".
    SANDING_CONFIRM_SCORE = 95
    SANDING_REVIEW_SCORE = 80
    SANDING_NAME_MATCH_SCORE = 85
    FORM_MAX_UPLOAD_BYTES = 32 * 1024 * 1024  # every other form (photos are 8 MB each)
    IMAGE_MAX_PIXELS = 40_000_000  # an uploaded photo above this is refused before decoding
    REDIS_TIMEOUT_SECONDS = 0.3  # connect and read timeout of every Redis call
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: count in this process
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False  # headers cost a storage round trip per request
    # One counter per window: a single Redis round trip per hit (moving-window needs a
    # script over a list). Switching strategy on a live Redis needs its limit keys cleared.
    RATELIMIT_STRATEGY = "fixed-window"
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    # Signed-in sessions end after this long without a request, and 8 hours after sign-in
    # whatever happens (PERMANENT_SESSION_LIFETIME).
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)  # admin and staff
    VOLUNTEER_SESSION_IDLE_TIMEOUT = timedelta(hours=2)  # surveys at the door take a while
    # Sign-in failures per username (and per address) before each next try waits, doubling
    # from the base up to the cap; unknown usernames are treated exactly alike.
    LOGIN_BACKOFF_AFTER = 5
    LOGIN_BACKOFF_AFTER_PER_IP = 20
    LOGIN_BACKOFF_BASE_SECONDS = 30
    LOGIN_BACKOFF_MAX_SECONDS = 15 * 60
    SERVER_STORE_URI = None  # captcha and sign-in failures: default follows the limiter
    PROXY_FIX_X_FOR = 0  # number of trusted proxies in front (e.g. 1 behind nginx)
    TIMEZONE = "Asia/Jakarta"
    # Background jobs (nutera/queue.py): None keeps them in instance/queue.sqlite3, or in the
    # limiter's Redis when it has one; set redis://... for consumers on several machines.
    QUEUE_URL = None
    QUEUE_IMMEDIATE = False  # run each job at once in the process that queues it (tests)
    METRICS_ENABLED = True  # /metrics for Prometheus (nutera/ops/metrics.py)
    METRICS_TOKEN = None  # NUTERA_METRICS_TOKEN: the scraper's bearer token (else admin only)


def load_secret_key(instance_path: str) -> str:
    """Return SECRET_KEY from the environment, or one generated once into instance/."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def database_url(instance_path: str) -> str:
    """Return DATABASE_URL, or the SQLite file in instance/."""
    url = os.environ.get("DATABASE_URL")
    if url:
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return "sqlite:///" + str(Path(instance_path) / "nutera.sqlite3")
