"""A refresh job whose process died is failed at once, its lock released, and can be retried."""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import Person, Refresh, RefreshJob, RefreshLock
from nutera.refresh import jobs, staging
from nutera.timeutil import utcnow
from tests.factories_refresh import write_csv
from tests.test_refresh_web import world_rows

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A worker process that starts the commit job, takes the kelurahan lock and the source lock,
# reports progress, and then hangs in the middle of the work until it is killed.
CHILD = textwrap.dedent(
    """
    import sys, time
    from nutera import create_app
    from nutera.refresh import commit, jobs
    from nutera.refresh.kelurahan_lock import lock_for_writing

    def hanging_commit(session, refresh, actor, progress):
        lock_for_writing(session, refresh.kelurahan_id)
        session.execute(commit.sa.text("UPDATE person SET name = 'SETENGAH JALAN'"))
        progress(0.4, "Memperbarui warga")
        print("working", flush=True)
        time.sleep(600)

    commit.commit_refresh = hanging_commit
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": sys.argv[1],
                      "INSTANCE_PATH": sys.argv[2], "RATELIMIT_STORAGE_URI": "memory://"})
    jobs.run_job(app, int(sys.argv[3]))
    """
)


@pytest.fixture
def previewed(app, world, tmp_path):
    """A previewed refresh of Tamansari and a commit job for it; returns (refresh, job) ids."""
    path = write_csv(tmp_path / "w.csv", world_rows())
    with app.app_context():
        refresh = staging.create_refresh(
            db.session, world.kelurahan_id, None, "DTKS", path, path.name
        )
        refresh.mapping = {"nik": "NIK", "kk": "NO KK", "name": "NAMA", "rt": "RT", "rw": "RW"}
        staging.analyse(db.session, refresh)
        job = jobs.create_job(db.session, refresh, "terapkan", None)
        db.session.commit()
        return refresh.id, job.id


def test_a_job_killed_mid_commit_is_failed_at_once_and_can_be_retried(
    app, previewed, client, login_as, database_url, instance_path
):
    refresh_id, job_id = previewed
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, database_url, instance_path, str(job_id)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "working"
        with app.app_context():
            job = db.session.get(RefreshJob, job_id)
            assert job.status == "berjalan" and str(child.pid) in job.worker
            assert db.session.scalar(sa.select(sa.func.count()).select_from(RefreshLock)) == 1
            assert not jobs.is_dead(job)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    login_as("staff")
    started = time.monotonic()
    page = client.get(f"/pemutakhiran/{refresh_id}").get_data(as_text=True)
    assert time.monotonic() - started < 60
    assert 'id="job-failed"' in page and "Coba lagi" in page and 'id="job-bar"' not in page
    with app.app_context():
        job = db.session.get(RefreshJob, job_id)
        assert job.status == "gagal" and "Terhenti" in job.message
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RefreshLock)) == 0
        assert "SETENGAH JALAN" not in set(db.session.scalars(sa.select(Person.name)))
    # "Coba lagi" runs the commit again, this time to the end (jobs run inline here).
    app.config["QUEUE_IMMEDIATE"] = True
    response = client.post(f"/pemutakhiran/{refresh_id}/coba-lagi")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Refresh, refresh_id).status == "diterapkan"


def test_polling_a_dead_job_reports_it_done_and_failed(app, previewed, client, login_as):
    _, job_id = previewed
    with app.app_context():
        job = db.session.get(RefreshJob, job_id)
        job.status, job.worker = "berjalan", f"{socket.gethostname()}:999999999:1"
        db.session.add(RefreshLock(key=job.lock_key, job_id=job.id))
        db.session.commit()
    login_as("staff")
    body = client.get(f"/pemutakhiran/tugas/{job_id}").get_json()
    assert body["done"] is True and body["status"] == "gagal"


def test_a_job_on_another_host_is_dead_once_its_heartbeat_stops(app, previewed):
    _, job_id = previewed
    with app.app_context():
        job = db.session.get(RefreshJob, job_id)
        job.status, job.worker = "berjalan", "server-lain:1234:99"
        job.heartbeat_at = utcnow() - timedelta(seconds=20)
        assert not jobs.is_dead(job)
        job.heartbeat_at = utcnow() - timedelta(seconds=50)
        assert jobs.is_dead(job)
        # A living process on this host is trusted even when silent (SQLite write lock).
        job.worker = jobs.this_worker()
        assert not jobs.is_dead(job)


def test_retry_is_refused_without_a_failed_job(app, previewed, client, login_as):
    refresh_id, job_id = previewed
    with app.app_context():
        db.session.get(RefreshJob, job_id).status = "selesai"
        db.session.commit()
    login_as("staff")
    response = client.post(f"/pemutakhiran/{refresh_id}/coba-lagi", follow_redirects=True)
    assert "Tidak ada proses gagal" in response.get_data(as_text=True)


def test_a_job_that_died_after_its_commit_landed_is_done_not_failed(app, previewed):
    refresh_id, job_id = previewed
    with app.app_context():
        job = db.session.get(RefreshJob, job_id)
        job.status, job.worker = "berjalan", f"{socket.gethostname()}:999999999:1"
        db.session.get(Refresh, refresh_id).status = "diterapkan"
        db.session.commit()
        assert jobs.running_job(db.session, refresh_id) is None
        assert db.session.get(RefreshJob, job_id).status == "selesai"
        assert jobs.failed_job(db.session, refresh_id) is None
