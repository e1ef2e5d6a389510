"""The sanding workflow, as the refresh job, the pages and the CLI drive it.

validate_list (called by the refresh analysis for a recipient-list source) -> review
(take, assign, release, decide, bulk_confirm) -> enrol_valid -> export. Each takes the
session and the acting user explicitly and flushes; the caller commits once.
"""

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from nutera.models import Kelurahan, Refresh
from nutera.refresh.states import Progress, RefreshStatus, no_progress
from nutera.sanding import candidates, kinds, listrows, queries, validation
from nutera.sanding.publish import enrol_valid  # noqa: F401
from nutera.sanding.review import (  # noqa: F401  (the workflow's entry points)
    SandingError,
    assign,
    bulk_confirm,
    decide,
    release,
    take,
)
from nutera.sanding.thresholds import Thresholds, from_config
from nutera.timeutil import local_today, utcnow


def current_thresholds() -> Thresholds:
    """The thresholds of the running app (defaults outside one)."""
    return from_config(current_app.config) if has_app_context() else Thresholds()


def validate_rows(session: Session, refresh: Refresh, thresholds: Thresholds) -> None:
    """Give every staged row of the list its status, reason and candidates."""
    kelurahan = session.get(Kelurahan, refresh.kelurahan_id)
    validation.mark_duplicates(session, refresh.id)
    validation.match_by_nik(session, refresh.id)
    validation.classify_matched(session, refresh.id, kelurahan, thresholds, local_today(kelurahan))
    candidates.record(session, refresh.id, kelurahan, thresholds)
    session.flush()


def validate_list(
    session: Session,
    refresh: Refresh,
    progress: Progress = no_progress,
    thresholds: Thresholds | None = None,
) -> dict:
    """Read a recipient list and validate it against the population; nothing in the
    registry changes. Returns the counts per status."""
    thresholds = thresholds or current_thresholds()
    refresh.status, refresh.analysed_at = RefreshStatus.ANALISIS, utcnow()
    program = kinds.source_settings(session, refresh.kelurahan_id, refresh.source).get(
        "program", ""
    )
    rows = listrows.stage_list(session, refresh, program, progress)
    progress(0.5, "Mencocokkan dengan data penduduk")
    validate_rows(session, refresh, thresholds)
    refresh.counts = {"rows": rows, "sanding": queries.status_counts(session, refresh.id)}
    refresh.status, refresh.message = RefreshStatus.PRATINJAU, ""
    session.flush()
    progress(1.0, "Validasi selesai")
    return refresh.counts
