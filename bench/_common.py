"""Helpers shared by the benchmarks: a scratch app on a fresh database."""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nutera import create_app  # noqa: E402
from tests.dbutil import reset_to_migrated_schema  # noqa: E402


def scratch_app(**overrides):
    """An app on a new SQLite file (or DATABASE_URL, which is wiped) with the migrated schema."""
    folder = tempfile.mkdtemp(prefix="nutera-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    config = {
        "SECRET_KEY": "bench",
        "INSTANCE_PATH": folder,
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }
    config.update(overrides)
    app = create_app(config)
    reset_to_migrated_schema(app)
    return app


def timed(fn, repeat: int) -> list[float]:
    """Milliseconds for each of repeat calls of fn."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(label: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p50 = samples[len(samples) // 2]
    p95 = samples[int(len(samples) * 0.95) - 1]
    return f"{label:<40} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   (n={len(samples)})"
