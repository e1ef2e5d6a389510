"""The job queue: a job queued by a web request is run by a real consumer process, outlives
the web app that queued it, retries passing faults with backoff, and a consumer killed in the
middle leaves the job retryable and the registry unchanged."""

import os
import signal
import textwrap
import time

import pytest
import sqlalchemy as sa

from nutera import queue
from nutera.extensions import db
from nutera.models import Person, Refresh, RefreshJob, RefreshLock
from nutera.refresh import jobs, services
from tests.dbutil import empty_all_tables
from tests.factories import PASSWORD
from tests.factories_refresh import write_csv
from tests.processes import start_queue_worker, stop
from tests.test_refresh_web import upload, world_rows

MAPPING = {"nik": "NIK", "kk": "NO KK", "name": "NAMA", "rt": "RT", "rw": "RW"}

# A consumer whose commit work takes the kelurahan lock, half-writes the registry, reports
# progress and then hangs until it is killed.
HANGING_CONSUMER = textwrap.dedent(
    """
    import time
    from nutera import create_app, queue
    from nutera.refresh import commit
    from nutera.refresh.kelurahan_lock import lock_for_writing

    def hanging_commit(session, refresh, actor, progress):
        lock_for_writing(session, refresh.kelurahan_id)
        session.execute(commit.sa.text("UPDATE person SET name = 'SETENGAH JALAN'"))
        progress(0.4, "Memperbarui warga")
        print("working", flush=True)
        time.sleep(600)

    commit.commit_refresh = hanging_commit
    queue.run_consumer(create_app(), 1, periodic=False)
    """
)


@pytest.fixture
def queued_app(make_app, tmp_path):
    """An app whose jobs go to a SQLite queue under tmp_path, run by no one until a consumer
    starts."""
    url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    app = make_app(QUEUE_IMMEDIATE=False, QUEUE_URL=url)
    yield app
    empty_all_tables(app)


def set_immediate(app, immediate: bool) -> None:
    """Switch the app's queue to (or from) running jobs at once."""
    app.config["QUEUE_IMMEDIATE"] = immediate
    app.extensions.pop("nutera_queue", None)


def consumer_env(database_url, instance_path, queue_url) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "NUTERA_INSTANCE_PATH": instance_path,
        "NUTERA_QUEUE_URL": queue_url,
        "SECRET_KEY": "test-secret",
        "RATELIMIT_STORAGE_URI": "memory://",
    }


def start_consumer(env, script=None):
    return start_queue_worker(env, script=script, capture=True)


def signed_in(app, world):
    """A test client of app signed in as Tamansari's staff through the form."""
    client = app.test_client()
    response = client.post(
        "/login", data={"username": world.usernames["staff"], "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def uploaded_and_mapped(client, world, tmp_path) -> int:
    """Upload and map a file through the pages (queues its analysis); returns the refresh id."""
    response = upload(
        client, write_csv(tmp_path / "w.csv", world_rows()), kelurahan_id=world.kelurahan_id
    )
    assert client.post(response.location, data=MAPPING).status_code == 302
    return int(response.location.split("/")[-2])


def latest_job(app, refresh_id) -> RefreshJob:
    with app.app_context():
        return db.session.scalar(
            sa.select(RefreshJob)
            .where(RefreshJob.refresh_id == refresh_id)
            .order_by(RefreshJob.id.desc())
            .limit(1)
        )


def wait_until_done(client, job_id, seconds=60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = client.get(f"/pemutakhiran/tugas/{job_id}").get_json()
        if body["done"]:
            return body
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} not done after {seconds}s: {body}")


def test_a_job_queued_by_a_web_request_is_run_by_a_consumer_process(
    queued_app, make_app, world, tmp_path, database_url, instance_path
):
    refresh_id = uploaded_and_mapped(signed_in(queued_app, world), world, tmp_path)
    job = latest_job(queued_app, refresh_id)
    assert job.status == "menunggu" and job.worker is None
    assert queue.get_queue(queued_app).pending() == 1
    # The web app that queued it goes away (a deploy); the job waits in the queue.
    queued_app.extensions.pop("nutera_queue")
    time.sleep(0.5)
    assert latest_job(queued_app, refresh_id).status == "menunggu"

    consumer = start_consumer(
        consumer_env(database_url, instance_path, queued_app.config["QUEUE_URL"])
    )
    try:
        # Progress is read through a new app (another web worker) while the consumer works.
        other = make_app(QUEUE_IMMEDIATE=False, QUEUE_URL=queued_app.config["QUEUE_URL"])
        body = wait_until_done(signed_in(other, world), job.id)
    finally:
        output = stop(consumer)
    assert body["status"] == "selesai" and body["progress"] == 100, output
    done = latest_job(queued_app, refresh_id)
    assert str(consumer.pid) in done.worker
    with queued_app.app_context():
        assert db.session.get(Refresh, refresh_id).status == "pratinjau"
    assert queue.get_queue(queued_app).pending() == 0


def test_a_consumer_killed_mid_commit_leaves_the_job_retryable_and_the_registry_unchanged(
    queued_app, world, tmp_path, database_url, instance_path
):
    client = signed_in(queued_app, world)
    refresh_id = uploaded_and_mapped(client, world, tmp_path)
    set_immediate(queued_app, True)  # the analysis here, the commit on the consumer
    analysis = latest_job(queued_app, refresh_id)
    with queued_app.app_context():
        jobs.run_job(queued_app, analysis.id)
        names_before = set(db.session.scalars(sa.select(Person.name)))
    set_immediate(queued_app, False)
    assert client.post(f"/pemutakhiran/{refresh_id}/terapkan").status_code == 302
    commit_job = latest_job(queued_app, refresh_id)
    assert commit_job.kind == "terapkan" and commit_job.status == "menunggu"

    consumer = start_consumer(
        consumer_env(database_url, instance_path, queued_app.config["QUEUE_URL"]),
        HANGING_CONSUMER,
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and line.strip() != "working":
            line = consumer.stdout.readline()
            assert line or consumer.poll() is None, "the consumer exited"
        job = latest_job(queued_app, refresh_id)
        assert job.status == "berjalan" and str(consumer.pid) in job.worker
    finally:
        stop(consumer, signal.SIGKILL)

    page = client.get(f"/pemutakhiran/{refresh_id}").get_data(as_text=True)
    assert 'id="job-failed"' in page and "Coba lagi" in page
    with queued_app.app_context():
        assert db.session.get(RefreshJob, commit_job.id).status == "gagal"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RefreshLock)) == 0
        assert set(db.session.scalars(sa.select(Person.name))) == names_before
        assert db.session.get(Refresh, refresh_id).status == "pratinjau"
    # "Coba lagi" queues the commit again; this time it runs to the end.
    set_immediate(queued_app, True)
    assert client.post(f"/pemutakhiran/{refresh_id}/coba-lagi").status_code == 302
    with queued_app.app_context():
        assert db.session.get(Refresh, refresh_id).status == "diterapkan"


def test_a_passing_database_fault_is_retried_with_backoff(app, client, login_as, world, tmp_path):
    calls = []
    perform = services.perform

    def flaky(session, job):
        calls.append(job.id)
        if len(calls) == 1:
            raise sa.exc.OperationalError("UPDATE", {}, Exception("server closed the connection"))
        perform(session, job)

    services.perform = flaky
    try:
        login_as("staff")
        refresh_id = uploaded_and_mapped(client, world, tmp_path)
        job = latest_job(app, refresh_id)
        assert job.status == "menunggu" and "dicoba lagi otomatis" in job.message
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(RefreshLock)) == 0
            assert db.session.get(Refresh, refresh_id).status == "analisis"
        huey = queue.get_queue(app).huey
        assert queue.get_queue(app).scheduled() == 1
        retry = huey.scheduled()[0]
        assert retry.retries == jobs.RETRIES - 1
        assert retry.retry_delay == jobs.RETRY_DELAY_SECONDS * jobs.RETRY_BACKOFF  # the next wait
        due = huey.read_schedule(retry.eta)
        assert len(due) == 1, (retry.eta, huey.scheduled())
        for task in due:  # the consumer's scheduler hands it over when its time comes
            task.eta = None
            huey.execute(task)
    finally:
        services.perform = perform
    assert calls == [job.id, job.id]
    done = latest_job(app, refresh_id)
    assert done.status == "selesai"
    with app.app_context():
        assert db.session.get(Refresh, refresh_id).status == "pratinjau"


def test_a_state_error_is_not_retried(app, client, login_as, world, tmp_path):
    perform = services.perform

    def refused(session, job):
        raise jobs.RefreshStateError("Tidak bisa sekarang.")

    services.perform = refused
    try:
        login_as("staff")
        refresh_id = uploaded_and_mapped(client, world, tmp_path)
    finally:
        services.perform = perform
    job = latest_job(app, refresh_id)
    assert job.status == "gagal" and job.message == "Tidak bisa sekarang."
    assert queue.get_queue(app).scheduled() == 0


def test_an_unreachable_queue_fails_the_job_with_a_message_and_it_can_be_retried(
    make_app, world, tmp_path
):
    app = make_app(QUEUE_IMMEDIATE=False, QUEUE_URL="redis://127.0.0.1:1/0")
    client = signed_in(app, world)
    refresh_id = uploaded_and_mapped(client, world, tmp_path)
    job = latest_job(app, refresh_id)
    assert job.status == "gagal" and "Antrean pekerjaan tidak dapat dihubungi" in job.message
    page = client.get(f"/pemutakhiran/{refresh_id}").get_data(as_text=True)
    assert "Coba lagi" in page
    set_immediate(app, True)
    client.post(f"/pemutakhiran/{refresh_id}/coba-lagi")
    with app.app_context():
        assert db.session.get(Refresh, refresh_id).status == "pratinjau"


def test_periodic_work_runs_on_the_queue_by_the_clock_in_utc(app, world):
    from datetime import datetime

    from nutera.models import EquitySnapshot

    huey_queue = queue.get_queue(app)

    def due(moment):
        return {type(t).__name__ for t in huey_queue.huey.read_periodic(moment)}

    every_quarter = {"recount_city_figures", "deliver_webhooks"}
    assert due(datetime(2026, 12, 1, 19, 0)) == {"nightly_equity_snapshot", *every_quarter}
    assert due(datetime(2026, 12, 1, 2, 0)) == every_quarter  # 19:00 UTC = 02:00 WIB
    assert due(datetime(2026, 12, 1, 2, 7)) == {"deliver_webhooks"}
    huey_queue.tasks["nutera.scheduled.nightly_equity_snapshot"]()  # immediate: runs now
    huey_queue.tasks["nutera.scheduled.deliver_webhooks"]()
    with app.app_context():
        taken = set(db.session.scalars(sa.select(EquitySnapshot.kelurahan_id)))
    assert taken == {world.kelurahan_id, world.other_kelurahan_id}
