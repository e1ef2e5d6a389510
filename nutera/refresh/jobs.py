"""Background work for refreshes: queued jobs, progress in refresh_job, one lock per source.

A web request records the job row and puts its id on the queue (nutera/queue.py); a consumer
process, on this machine or another, runs it. The page polls the job row, so closing the page
does not stop the work, and restarting the web worker does not lose it. A second job for the
same source of the same kelurahan waits until the lock row of the first is released. The
process running a job records itself (host, pid and its start time, so a reused pid is not
mistaken for it) and a heartbeat; a job whose process is gone or whose heartbeat stopped is
failed and its lock released (``reap``), and staff can try it again. A job that meets a
passing database fault (lost connection, deadlock, timeout) before its work commits is
queued again with backoff: its work is one transaction, so nothing was half written.
"""

import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app
from huey.exceptions import RetryTask

from nutera import queue
from nutera.extensions import db
from nutera.models import Refresh, RefreshJob, RefreshLock
from nutera.refresh.states import (
    JOB_FINISHED,
    JobStatus,
    Progress,
    RefreshStateError,
    RefreshStatus,
    no_progress,
)
from nutera.timeutil import as_utc, utcnow

STALE_AFTER = timedelta(minutes=30)  # queued and not taken by any consumer for this long
HEARTBEAT_SECONDS = 10
DEAD_AFTER = timedelta(seconds=45)  # a job on another host that has not beaten for this long
POLL_SECONDS = 0.5
UNFINISHED = ("menunggu", "berjalan")
DIED = (
    "Terhenti: proses yang menjalankannya berhenti. Tidak ada data registri yang berubah; "
    "silakan coba lagi."
)
QUEUE_DOWN = (
    "Antrean pekerjaan tidak dapat dihubungi, jadi proses belum dimulai. Tidak ada data "
    "registri yang berubah; silakan coba lagi sebentar lagi."
)
# Faults that pass (connection lost, deadlock, lock or statement timeout): the job's work
# rolled back whole, so running it again is safe.
TRANSIENT = (sa.exc.OperationalError, sa.exc.InterfaceError)
RETRIES = 3
RETRY_DELAY_SECONDS = 15
RETRY_BACKOFF = 2


def _process_start(pid: int) -> str | None:
    """The start time of a process in clock ticks since boot (Linux), None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def this_worker() -> str:
    """'host:pid:start' of this process."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start(pid) or ''}"[:120]


def _process_gone(worker: str) -> bool | None:
    """Whether the worker's process is gone (None: another host, cannot tell from here)."""
    host, _, rest = worker.partition(":")
    pid, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    now_started = _process_start(int(pid))
    if now_started is None:
        if Path("/proc/self/stat").exists():
            return True
        try:  # no /proc: ask the kernel whether the pid exists
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return bool(started) and now_started != started


def is_dead(job: RefreshJob, now=None) -> bool:
    """Whether an unfinished job will never finish: its process is gone or went silent."""
    if job.status not in UNFINISHED:
        return False
    now = now or utcnow()
    if not job.worker:  # still in the queue: no consumer took it yet
        return as_utc(job.updated_at) < now - STALE_AFTER
    gone = _process_gone(job.worker)
    if gone is not None:
        # Same host: the process answers for itself (SQLite cannot take a heartbeat while a
        # commit holds its write lock, so a silent but living process is not dead).
        return gone
    beat = job.heartbeat_at or job.updated_at
    return as_utc(beat) < now - DEAD_AFTER


# What a job's refresh looks like once its work was committed, whatever happened after.
_DONE_WHEN = {"analisis": ("pratinjau",), "terapkan": ("diterapkan",), "batalkan": ("dibatalkan",)}


def reap(session, jobs: list[RefreshJob]) -> list[RefreshJob]:
    """Settle the dead among jobs and release their locks (committed); returns the dead.

    A job that died after its work was committed (before recording so) is done, not failed."""
    dead = [job for job in jobs if is_dead(job)]
    if not dead:
        return []
    statuses = dict(
        session.execute(
            sa.select(Refresh.id, Refresh.status).where(
                Refresh.id.in_({job.refresh_id for job in dead})
            )
        ).all()
    )
    now = utcnow()
    for job in dead:
        done = statuses.get(job.refresh_id) in _DONE_WHEN.get(job.kind, ())
        session.execute(
            sa.update(RefreshJob)
            .where(RefreshJob.id == job.id, RefreshJob.status.in_(UNFINISHED))
            .values(
                status="selesai" if done else "gagal",
                message="Selesai" if done else DIED,
                progress=100 if done else job.progress,
                finished_at=now,
                updated_at=now,
            )
        )
    session.execute(
        sa.update(Refresh)
        .where(
            Refresh.id.in_([job.refresh_id for job in dead if job.kind == "analisis"]),
            Refresh.status == "analisis",
        )
        .values(status="gagal", message=DIED)
    )
    session.execute(sa.delete(RefreshLock).where(RefreshLock.job_id.in_([j.id for j in dead])))
    session.commit()
    return dead


def reap_all(session) -> int:
    """Fail every dead job anywhere (the page does this for the jobs it shows)."""
    return len(reap(session, list(session.scalars(sa.select(RefreshJob).where(_unfinished())))))


def _unfinished():
    return RefreshJob.status.in_(UNFINISHED)


def release_all(session) -> int:
    """For a restored database: no job is running here, so none holds a lock or runs."""
    now = utcnow()
    failed = session.execute(
        sa.update(RefreshJob)
        .where(_unfinished())
        .values(status="gagal", message=DIED, finished_at=now, updated_at=now)
    ).rowcount
    session.execute(
        sa.update(Refresh).where(Refresh.status == "analisis").values(status="gagal", message=DIED)
    )
    session.execute(sa.delete(RefreshLock))
    return failed


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
    """Queue the committed job for a consumer (run at once when the queue is immediate)."""
    try:
        queue.enqueue(app, refresh_task, job_id)
    except Exception:  # the queue's storage is unreachable: say so and let staff retry
        current_app.logger.exception("refresh job %s could not be queued", job_id)
        db.session.rollback()
        job = db.session.get(RefreshJob, job_id)
        _fail_refresh(job, QUEUE_DOWN)
        finish(job_id, JobStatus.GAGAL, QUEUE_DOWN)


@queue.task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=RETRY_BACKOFF)
def refresh_task(app: Flask, task, job_id: int) -> None:
    """A queued refresh job, run by a consumer; a passing fault is retried with backoff."""
    run_job(app, job_id, retries_left=task.retries if task is not None else 0)


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
            if holder_job is None or holder_job.status in JOB_FINISHED or is_dead(holder_job):
                if holder_job is not None and holder_job.status not in JOB_FINISHED:
                    holder_job.status, holder_job.message = JobStatus.GAGAL, DIED
                    holder_job.finished_at = utcnow()
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


class TransientJobError(RuntimeError):
    """A passing fault stopped the job before its work committed; it is queued again."""


def _fail_refresh(job: RefreshJob, message: str) -> None:
    # An analysis that failed leaves a refresh to map again (a failed commit or revert
    # leaves its refresh as it was: the registry is untouched).
    db.session.execute(
        sa.update(Refresh)
        .where(Refresh.id == job.refresh_id, Refresh.status == RefreshStatus.ANALISIS)
        .values(status=RefreshStatus.GAGAL, message=message)
    )


def run(job: RefreshJob, work: Callable[[], None], retries_left: int = 0) -> str | None:
    """Hold the source lock while work runs in db.session, commit it, record the outcome.

    Returns None on success, else the Indonesian message the job was failed with. With
    retries left, a passing database fault puts the job back to waiting and raises
    TransientJobError for the queue to run it again later."""
    key = job.lock_key
    _update(job.id, worker=this_worker(), heartbeat_at=utcnow())
    acquire(job)
    try:
        _update(job.id, status=JobStatus.BERJALAN, message="Berjalan", started_at=utcnow())
        work()
        db.session.commit()
        finish(job.id, JobStatus.SELESAI, "Selesai")
        return None
    except Exception as error:  # the job's outcome is shown to staff, never lost
        db.session.rollback()
        if retries_left > 0 and isinstance(error, TRANSIENT):
            current_app.logger.warning("refresh job %s meets a passing fault: %s", job.id, error)
            _update(
                job.id,
                status=JobStatus.MENUNGGU,
                worker=None,
                message=(
                    "Gangguan sementara pada basis data; dicoba lagi otomatis "
                    f"(sisa {retries_left} kali)."
                ),
            )
            raise TransientJobError(str(error)) from error
        current_app.logger.exception("refresh job %s failed", job.id)
        message = (
            str(error)
            if isinstance(error, RefreshStateError)
            else "Terjadi kesalahan; tidak ada data registri yang berubah."
        )
        _fail_refresh(job, message)
        finish(job.id, JobStatus.GAGAL, message)
        return message
    finally:
        release(job.id, key)


class Heartbeat:
    """A thread that records, every few seconds, that the job's process is still at work."""

    def __init__(self, app: Flask, job_id: int):
        self._app, self._job_id = app, job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, daemon=True, name=f"refresh-heartbeat-{job_id}"
        )

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with self._app.app_context():
            while not self._stop.wait(HEARTBEAT_SECONDS):
                try:  # on its own connection, never the work's transaction
                    with db.engine.begin() as conn:
                        conn.execute(
                            sa.update(RefreshJob)
                            .where(RefreshJob.id == self._job_id)
                            .values(heartbeat_at=utcnow())
                        )
                except sa.exc.OperationalError:
                    pass  # SQLite's write lock is held by the work: the pid vouches for it


def _claim(job: RefreshJob | None) -> bool:
    """Whether this process should run the job it was handed now.

    A finished job is not run again; one whose earlier runner died (a consumer stopped in the
    middle, the job queued again) runs again unless its work had already landed; one that
    another living process runs is looked at again later."""
    if job is None or job.status in JOB_FINISHED:
        return False
    if db.session.get(Refresh, job.refresh_id).status in _DONE_WHEN.get(job.kind, ()):
        finish(job.id, JobStatus.SELESAI, "Selesai")
        return False
    if job.status == JobStatus.BERJALAN:
        if not is_dead(job):
            raise RetryTask("the job is still being run elsewhere", delay=DEAD_AFTER.seconds)
        db.session.execute(sa.delete(RefreshLock).where(RefreshLock.job_id == job.id))
        _update(job.id, status=JobStatus.MENUNGGU, worker=None, message="Menunggu giliran")
    return True


def run_job(app: Flask, job_id: int, retries_left: int = 0) -> None:
    """Run a queued job: the work the workflow service names for its kind, with a heartbeat
    beside it so a job whose process dies is seen at once."""
    from nutera.refresh import services

    with app.app_context():
        try:
            job = db.session.get(RefreshJob, job_id)
            if not _claim(job):
                return
            with Heartbeat(app, job_id):
                run(job, lambda: services.perform(db.session, job), retries_left)
        finally:
            db.session.remove()


def running_job(session, refresh_id: int) -> RefreshJob | None:
    """The unfinished job of a refresh, if any (a dead one is failed first)."""
    unfinished = list(
        session.scalars(
            sa.select(RefreshJob)
            .where(RefreshJob.refresh_id == refresh_id, _unfinished())
            .order_by(RefreshJob.created_at.desc())
        )
    )
    dead = reap(session, unfinished)
    return next((job for job in unfinished if job not in dead), None)


def failed_job(session, refresh_id: int) -> RefreshJob | None:
    """The refresh's last job when it failed (the page offers to try it again)."""
    last = session.scalar(
        sa.select(RefreshJob)
        .where(RefreshJob.refresh_id == refresh_id)
        .order_by(RefreshJob.created_at.desc(), RefreshJob.id.desc())
        .limit(1)
    )
    return last if last is not None and last.status == JobStatus.GAGAL else None
