"""Background work for refreshes: a thread per job, progress in refresh_job, one lock per source.

The page polls the job row, so closing the page does not stop the work. A second job for
the same source of the same kelurahan waits until the lock row of the first is released.
Threads live in the process that started them (see docs/refresh.md: under gunicorn a recycled
worker ends its jobs, which are then reported as failed by the stale-lock check).
"""

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from nutera.extensions import db
from nutera.models import Refresh, RefreshJob, RefreshLock
from nutera.refresh.states import (
    JOB_FINISHED,
    JOB_RUNNING,
    JobStatus,
    Progress,
    RefreshStateError,
    RefreshStatus,
    no_progress,
)
from nutera.timeutil import as_utc, utcnow

STALE_AFTER = timedelta(minutes=30)  # a lock whose job has not reported for this long is dead
POLL_SECONDS = 0.5


def lock_key(refresh: Refresh) -> str:
    return f"{refresh.kelurahan_id}:{refresh.source}"[:80]


def create_job(session, refresh: Refresh, kind: str, user_id: int | None) -> RefreshJob:
    """A job row waiting to run (the caller commits, then calls start)."""
    job = RefreshJob(
        kelurahan_id=refresh.kelurahan_id,
        refresh_id=refresh.id,
        kind=kind,
        lock_key=lock_key(refresh),
        status=JobStatus.MENUNGGU,
        progress=0,
        user_id=user_id,
        message="Menunggu giliran",
    )
    session.add(job)
    session.flush()
    return job


def start(app: Flask, job_id: int) -> None:
    """Run the job in a thread (or inline when REFRESH_JOBS_INLINE is set, e.g. in tests)."""
    if app.config.get("REFRESH_JOBS_INLINE"):
        run_job(app, job_id)
        return
    threading.Thread(
        target=run_job, args=(app, job_id), daemon=True, name=f"refresh-job-{job_id}"
    ).start()


def finish(job_id: int, status: str, message: str) -> None:
    """Record a job's outcome."""
    _update(
        job_id,
        status=status,
        message=message,
        finished_at=utcnow(),
        **({"progress": 100} if status == JobStatus.SELESAI else {}),
    )


def _update(job_id: int, **values) -> None:
    db.session.execute(
        sa.update(RefreshJob).where(RefreshJob.id == job_id).values(updated_at=utcnow(), **values)
    )
    db.session.commit()


def acquire(job: RefreshJob) -> None:
    """Insert the lock row for the job's source, waiting while another job holds it."""
    while True:
        try:
            db.session.execute(
                sa.insert(RefreshLock).values(
                    key=job.lock_key, job_id=job.id, acquired_at=utcnow()
                )
            )
            db.session.commit()
            return
        except sa.exc.IntegrityError:
            db.session.rollback()
        holder = db.session.execute(
            sa.select(RefreshLock.job_id, RefreshJob)
            .outerjoin(RefreshJob, RefreshJob.id == RefreshLock.job_id)
            .where(RefreshLock.key == job.lock_key)
        ).first()
        if holder is not None:
            holder_id, holder_job = holder
            if (
                holder_job is None
                or holder_job.status in JOB_FINISHED
                or as_utc(holder_job.updated_at) < utcnow() - STALE_AFTER
            ):
                if holder_job is not None and holder_job.status not in JOB_FINISHED:
                    holder_job.status, holder_job.message = (
                        JobStatus.GAGAL,
                        "Terhenti (proses mati)",
                    )
                db.session.execute(
                    sa.delete(RefreshLock).where(
                        RefreshLock.key == job.lock_key, RefreshLock.job_id == holder_id
                    )
                )
                db.session.commit()
                continue
        _update(job.id, message="Menunggu unggahan lain dari sumber yang sama selesai")
        db.session.expire_all()
        time.sleep(POLL_SECONDS)


def release(job_id: int, key: str) -> None:
    db.session.rollback()
    db.session.execute(
        sa.delete(RefreshLock).where(RefreshLock.key == key, RefreshLock.job_id == job_id)
    )
    db.session.commit()


def record_progress(session, job_id: int, fraction: float, message: str) -> None:
    """Write a job's progress in the given session; its owner decides when that commits."""
    session.execute(
        sa.update(RefreshJob)
        .where(RefreshJob.id == job_id)
        .values(progress=int(fraction * 100), message=message, updated_at=utcnow())
    )


def side_progress(job_id: int) -> Progress:
    """Progress on a separate connection, never the work's (for the all-or-nothing commit).

    SQLite allows one writer, so there the page shows the commit as one step."""
    if db.engine.dialect.name == "sqlite":
        return no_progress

    def report(fraction: float, message: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(
                sa.update(RefreshJob)
                .where(RefreshJob.id == job_id)
                .values(progress=int(fraction * 100), message=message, updated_at=utcnow())
            )

    return report


def run(job: RefreshJob, work: Callable[[], None]) -> str | None:
    """Hold the source lock while work runs in db.session, commit it, record the outcome.

    Returns None on success, else the Indonesian message the job was failed with."""
    key = job.lock_key
    acquire(job)
    try:
        _update(job.id, status=JobStatus.BERJALAN, message="Berjalan")
        work()
        db.session.commit()
        finish(job.id, JobStatus.SELESAI, "Selesai")
        return None
    except Exception as error:  # the job's outcome is shown to staff, never lost
        db.session.rollback()
        current_app.logger.exception("refresh job %s failed", job.id)
        message = (
            str(error)
            if isinstance(error, RefreshStateError)
            else "Terjadi kesalahan; tidak ada data registri yang berubah."
        )
        # An analysis that failed leaves a refresh to map again (a failed commit or revert
        # leaves its refresh as it was: the registry is untouched).
        db.session.execute(
            sa.update(Refresh)
            .where(Refresh.id == job.refresh_id, Refresh.status == RefreshStatus.ANALISIS)
            .values(status=RefreshStatus.GAGAL, message=message)
        )
        finish(job.id, JobStatus.GAGAL, message)
        return message
    finally:
        release(job.id, key)


def run_job(app: Flask, job_id: int) -> None:
    """A background job's thread: the work the workflow service names for its kind."""
    from nutera.refresh import services

    with app.app_context():
        job = db.session.get(RefreshJob, job_id)
        try:
            run(job, lambda: services.perform(db.session, job))
        finally:
            db.session.remove()


def running_job(session, refresh_id: int) -> RefreshJob | None:
    """The unfinished job of a refresh, if any."""
    return session.scalar(
        sa.select(RefreshJob)
        .where(
            RefreshJob.refresh_id == refresh_id,
            RefreshJob.status.in_(JOB_RUNNING),
        )
        .order_by(RefreshJob.created_at.desc())
        .limit(1)
    )
