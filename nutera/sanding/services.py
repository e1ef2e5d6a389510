"""The sanding workflow, as the refresh job, the pages and the CLI drive it.

validate_list (called by the refresh analysis for a recipient-list source) -> review
(take, assign, release, decide, bulk_confirm) -> enrol_valid -> export. Each takes the
session and the acting user explicitly and flushes; the caller commits once.
"""

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from nutera.audit import Actor, audit_bulk
from nutera.models import Kelurahan, Refresh, RefreshJob
from nutera.models.refresh import JobKind
from nutera.refresh.states import Progress, RefreshStatus, no_progress
from nutera.sanding import candidates, carryover, kinds, listrows, queries, validation
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


def _refresh_statistics(session: Session) -> None:
    """PostgreSQL: planner statistics of the freshly loaded rows, or it nests loops over
    a table it still believes empty (or full of the rows just deleted)."""
    if session.connection().dialect.name == "postgresql":
        session.execute(sa.text("ANALYZE sanding_row"))


def _requester(session: Session, refresh: Refresh) -> int | None:
    """Who asked for the list's latest analysis (None from the command line)."""
    return session.scalar(
        sa.select(RefreshJob.user_id)
        .where(RefreshJob.refresh_id == refresh.id, RefreshJob.kind == JobKind.ANALISIS)
        .order_by(RefreshJob.created_at.desc(), RefreshJob.id.desc())
        .limit(1)
    )


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
    upto = carryover.last_row_id(session, refresh.id)
    rows = listrows.stage_list(session, refresh, program, progress)
    progress(0.5, "Mencocokkan dengan data penduduk")
    # From here to the end one transaction: the earlier rows and their review work go
    # only together with the new rows taking them over.
    carried = None
    if upto is not None:
        carried = carryover.remember(session, refresh.id, upto)
        carryover.carry(session, refresh.id, upto, carried)
        listrows.clear_rows(session, refresh.id, upto)
    _refresh_statistics(session)
    validate_rows(session, refresh, thresholds)
    counts = {"rows": rows, "sanding": queries.status_counts(session, refresh.id)}
    if carried is not None:
        carryover.settle(session, refresh.kelurahan_id, carried, utcnow())
        counts["ulang"] = carried.counts()
        audit_bulk(
            session,
            Actor(_requester(session, refresh)),
            "update",
            "sanding_row",
            None,
            refresh.kelurahan_id,
            {"validasi_ulang": refresh.id, **carried.counts()},
        )
    refresh.counts = counts
    refresh.status, refresh.message = RefreshStatus.PRATINJAU, ""
    session.flush()
    progress(1.0, "Validasi selesai")
    return refresh.counts
