"""Prometheus metrics for operators, at /metrics, never for the public.

Requests are counted and timed per Flask endpoint by prometheus-flask-exporter (the
histogram's _count is the request count of each endpoint). Job durations and the queue's
depth are read when Prometheus scrapes, from refresh_job and the queue itself, so they
cover every worker on every machine. Under gunicorn set PROMETHEUS_MULTIPROC_DIR (an empty
directory, emptied at each start) so every worker's requests are summed; gunicorn.conf.py
tells the collector when a worker exits.

Who may read: a request with ``Authorization: Bearer <NUTERA_METRICS_TOKEN>``, or a signed-in
admin. Everyone else gets 404, as for an address that does not exist.
"""

import hmac
import os

import sqlalchemy as sa
from flask import Flask, abort, current_app, request
from flask_login import current_user
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_flask_exporter import PrometheusMetrics

from nutera.extensions import db

PREFIX = "nutera"


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def _seconds(finished, started) -> sa.ColumnElement:
    if db.engine.dialect.name == "postgresql":
        return sa.func.extract("epoch", finished - started)
    return (sa.func.julianday(finished) - sa.func.julianday(started)) * 86400.0


class JobCollector:
    """Job durations, jobs waiting or running, and the queue's depth, read at scrape time."""

    def __init__(self, app: Flask):
        self.app = app

    def describe(self):
        """Nothing to describe ahead: registering must not query the database."""
        return []

    def collect(self):
        from nutera import queue
        from nutera.models import RefreshJob

        with self.app.app_context():
            duration = _seconds(RefreshJob.finished_at, RefreshJob.started_at)
            finished = db.session.execute(
                sa.select(
                    RefreshJob.kind, RefreshJob.status, sa.func.count(), sa.func.sum(duration)
                )
                .where(RefreshJob.finished_at.is_not(None), RefreshJob.started_at.is_not(None))
                .group_by(RefreshJob.kind, RefreshJob.status)
            ).all()
            unfinished = db.session.execute(
                sa.select(RefreshJob.status, sa.func.count())
                .where(RefreshJob.status.in_(("menunggu", "berjalan")))
                .group_by(RefreshJob.status)
            ).all()
            db.session.remove()
            try:
                depth = queue.reachable(self.app)
            except Exception:  # the queue down is itself a figure: -1
                depth = {"pending": -1, "scheduled": -1}
        durations = SummaryMetricFamily(
            f"{PREFIX}_job_duration_seconds",
            "Time background jobs ran, from start to outcome, by kind and outcome",
            labels=("kind", "status"),
        )
        for kind, status, count, total in finished:
            durations.add_metric((kind, status), count, float(total or 0))
        yield durations
        jobs = GaugeMetricFamily(
            f"{PREFIX}_jobs", "Background jobs waiting or running", labels=("status",)
        )
        counts = dict(unfinished)
        for status in ("menunggu", "berjalan"):
            jobs.add_metric((status,), counts.get(status, 0))
        yield jobs
        yield GaugeMetricFamily(
            f"{PREFIX}_queue_depth",
            "Jobs waiting in the queue (-1: unreachable)",
            depth["pending"],
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_queue_scheduled",
            "Jobs waiting in the queue for their retry time (-1: unreachable)",
            depth["scheduled"],
        )


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    return current_user.is_authenticated and current_user.is_admin


def exposition(app: Flask) -> bytes:
    """Every metric in Prometheus' text format (summed over processes in multiprocess mode)."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(JobCollector(app))
    else:
        registry = app.extensions["nutera_metrics_registry"]
    return generate_latest(registry)


def init_app(app: Flask) -> None:
    """Time every request by endpoint and serve /metrics to operators."""
    if not app.config.get("METRICS_ENABLED", True):
        return
    registry = CollectorRegistry(auto_describe=True)
    app.extensions["nutera_metrics_registry"] = registry
    metrics = PrometheusMetrics(
        app=None, path=None, registry=registry, defaults_prefix=PREFIX, group_by="endpoint"
    )
    metrics.init_app(app)
    if not multiprocess_dir():
        registry.register(JobCollector(app))

    @metrics.do_not_track()
    def prometheus_metrics():
        """Prometheus metrics, for the operators' token or an admin."""
        if not _allowed():
            abort(404)
        return (
            exposition(app),
            200,
            {
                "Content-Type": CONTENT_TYPE_LATEST,
                "Cache-Control": "no-store",
            },
        )

    app.add_url_rule("/metrics", "metrics", prometheus_metrics)
