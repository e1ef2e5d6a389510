"""The app's own processes, started for tests the way production starts them."""

import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# One consumer thread and no periodic tasks: a test decides when scheduled work runs.
QUEUE_WORKER = [
    sys.executable, "-m", "flask", "--app", "nutera",
    "queue", "worker", "--workers", "1", "--no-periodic",
]  # fmt: skip


def start_queue_worker(env: dict, *, script: str | None = None, capture: bool = False):
    """Start a queue consumer (or `python -c script`, for a consumer a test instruments).

    With capture, stdout and stderr are kept for `stop` to return.
    """
    command = [sys.executable, "-c", script] if script else QUEUE_WORKER
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT if capture else subprocess.DEVNULL,
        text=True,
    )


def stop(process: subprocess.Popen, sig=signal.SIGINT) -> str:
    """Stop the process (SIGINT lets a consumer finish its task) and return what it printed."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output or ""
