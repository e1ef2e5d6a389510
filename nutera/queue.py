"""The job queue (Huey): background work runs in a consumer process, on any machine.

Jobs are kept in SQLite under instance/ by default (one machine: `make run` starts the
consumer beside the dev server), or in Redis (NUTERA_QUEUE_URL=redis://..., or the
limiter's Redis when that is set) so consumers on every machine share one queue. The work's
own state lives in the database (e.g. refresh_job), so a job outlives the web worker that
queued it. Tests set QUEUE_IMMEDIATE: a job runs at once in the process that queues it.

Features declare their work with ``@queue.task(...)`` as plain functions of ``(app, task,
*args)``; each app builds its Huey on first use and registers them, so the web process and
the consumer (``flask queue worker``) built from the same settings agree on every name.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

import click
import redis
from flask import Flask, current_app
from flask.cli import with_appcontext
from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey import signals as huey_signals
from huey.api import Huey

from nutera.redis_fallback import is_redis_uri

# Modules that declare tasks: imported before a queue is built, in every process.
TASK_MODULES = ("nutera.refresh.jobs", "nutera.scheduled")
QUEUE_NAME = "nutera"
REDIS_CONNECT_TIMEOUT_SECONDS = 2.0

_TASKS: dict[str, tuple[Callable, dict]] = {}
_PERIODIC: dict[str, tuple[Callable, Callable, dict]] = {}


def task(**options) -> Callable:
    """Declare fn(app, task, *args) a queue task (options: retries, retry_delay, ...)."""

    def decorator(fn: Callable) -> Callable:
        _TASKS[f"{fn.__module__}.{fn.__name__}"] = (fn, options)
        return fn

    return decorator


def periodic(when: Callable, **options) -> Callable:
    """Declare fn(app, task) a task the consumer's scheduler queues when when(utc) is true
    (e.g. huey.crontab(minute="0", hour="19"): times are UTC)."""

    def decorator(fn: Callable) -> Callable:
        _PERIODIC[f"{fn.__module__}.{fn.__name__}"] = (fn, when, options)
        return fn

    return decorator


@dataclass
class Queue:
    """An app's Huey and its registered tasks by name."""

    huey: Huey
    url: str
    tasks: dict[str, object] = field(default_factory=dict)

    def pending(self) -> int:
        """Jobs waiting in the queue (not those being run)."""
        return self.huey.pending_count()

    def scheduled(self) -> int:
        """Jobs waiting for their retry time."""
        return self.huey.scheduled_count()


def queue_url(config) -> str:
    """QUEUE_URL, else the limiter's Redis, else a SQLite file under instance/."""
    if config.get("QUEUE_URL"):
        return config["QUEUE_URL"]
    limiter = config.get("RATELIMIT_STORAGE_URI") or ""
    if is_redis_uri(limiter):
        return limiter
    return "sqlite:///" + str(Path(config["QUEUE_INSTANCE_PATH"]) / "queue.sqlite3")


def _huey(url: str, immediate: bool) -> Huey:
    common = {"name": QUEUE_NAME, "results": False, "immediate": immediate, "utc": True}
    if is_redis_uri(url):
        # A blocking read waits 1 s for work, so the socket timeout must be longer.
        pool = redis.ConnectionPool.from_url(
            url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS, socket_timeout=10
        )
        return RedisHuey(connection_pool=pool, **common)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(filename=str(path), timeout=10, **common)
    if url == "memory://":
        return MemoryHuey(**common)
    raise ValueError(f"QUEUE_URL must be redis://, sqlite:/// or memory://, not {url!r}")


def _bind(app: Flask, fn: Callable) -> Callable:
    def run_in_app(*args, task=None):
        with app.app_context():
            return fn(app, task, *args)

    run_in_app.__name__ = fn.__name__
    run_in_app.__module__ = fn.__module__
    return run_in_app


def build(app: Flask) -> Queue:
    """A new Huey for app with every declared task registered."""
    for module in TASK_MODULES:
        import_module(module)
    config = {**app.config, "QUEUE_INSTANCE_PATH": app.instance_path}
    url = queue_url(config)
    immediate = bool(app.config.get("QUEUE_IMMEDIATE"))
    queue = Queue(_huey(url, immediate), url)
    for name, (fn, options) in _TASKS.items():
        queue.tasks[name] = queue.huey.task(context=True, **options)(_bind(app, fn))
    for name, (fn, when, options) in _PERIODIC.items():
        queue.tasks[name] = queue.huey.periodic_task(when, context=True, **options)(_bind(app, fn))

    @queue.huey.signal(huey_signals.SIGNAL_INTERRUPTED)
    def requeue(signal, task, *args):
        """A consumer stopped mid-job (SIGTERM): the job's work rolled back, queue it again."""
        queue.huey.enqueue(task)

    return queue


def get_queue(app: Flask) -> Queue:
    """The app's queue, built on first use."""
    queue = app.extensions.get("nutera_queue")
    if queue is None:
        queue = app.extensions["nutera_queue"] = build(app)
    return queue


def enqueue(app: Flask, fn: Callable, *args) -> None:
    """Put a call of the task fn with args on the queue (raises when the queue is down)."""
    get_queue(app).tasks[f"{fn.__module__}.{fn.__name__}"](*args)


def reachable(app: Flask) -> dict:
    """Whether the queue's storage answers, with its depth (for /readyz and metrics)."""
    queue = get_queue(app)
    return {"ok": True, "pending": queue.pending(), "scheduled": queue.scheduled()}


def safe_url(url: str) -> str:
    """The queue URL without a password, for logs and pages."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest


def run_consumer(app: Flask, workers: int, periodic: bool = True) -> None:
    """Run a Huey consumer for app until it is stopped (SIGINT waits for running jobs).

    With periodic, its scheduler also queues the periodic tasks (nutera/scheduled.py): run
    exactly one such worker in a deployment, the others with periodic off."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    queue = get_queue(app)
    if queue.huey.immediate:
        raise click.ClickException("QUEUE_IMMEDIATE menjalankan pekerjaan langsung: tanpa worker.")
    click.echo(
        f"Pekerja antrean: {safe_url(queue.url)}, {workers} utas, "
        f"tugas berkala {'aktif' if periodic else 'mati'}",
        err=True,
    )
    queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic).run()


@click.group("queue")
def queue_cli() -> None:
    """The job queue: the worker process and its state."""


@queue_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="Pekerjaan yang berjalan serentak.")
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Antrekan tugas berkala (webhook, potret malam); hanya di satu pekerja.",
)
@with_appcontext
def worker_command(workers: int, periodic: bool) -> None:
    """Run queued jobs until stopped (Ctrl-C or SIGINT waits for running jobs to finish)."""
    run_consumer(current_app._get_current_object(), workers, periodic)


@queue_cli.command("status")
@with_appcontext
def status_command() -> None:
    """Print where the queue lives and how many jobs wait in it."""
    queue = get_queue(current_app._get_current_object())
    click.echo(f"Antrean: {safe_url(queue.url)}")
    click.echo(f"Menunggu: {queue.pending()}; dijadwalkan ulang: {queue.scheduled()}")
