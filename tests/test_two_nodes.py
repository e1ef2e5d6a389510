"""Two web servers behind one address: two gunicorn instances on two ports over the same
database, Redis and upload folder (each with its own instance folder), and a queue worker.

A session started on one is valid on the other, a rate limit counts across both, a refresh
started through one runs on the worker and its progress is read through the other, a
handover photo stored through one is served by the other, and signing out on one ends the
session on both."""

import os
import re
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests
import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import Refresh, RefreshJob, User
from tests.factories import PASSWORD
from tests.factories_distribution import handover_form, make_event
from tests.factories_refresh import write_csv
from tests.processes import ROOT, start_queue_worker
from tests.test_queue import MAPPING
from tests.test_refresh_web import world_rows

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            if requests.get(url + "/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not start")


@pytest.fixture
def cluster(app, world, database_url, tmp_path):
    """Node A, node B and a queue worker sharing database, Redis and uploads."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis at {REDIS_URL} is needed for the two-node test")
    shared = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "two-nodes-shared-secret",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "NUTERA_QUEUE_URL": REDIS_URL,
        "NUTERA_UPLOAD_DIR": str(tmp_path / "uploads"),
        "NUTERA_RATELIMIT_KEY_PREFIX": f"twonode-{uuid.uuid4().hex[:8]}",
        "NUTERA_COMPLAINT_FORM_RATE_LIMIT": "5 per hour",
        "NUTERA_LOGIN_RATE_LIMIT": "100 per minute",
    }
    processes, urls = [], {}
    try:
        for name in ("a", "b"):
            port = _free_port()
            env = {**shared, "NUTERA_INSTANCE_PATH": str(tmp_path / f"node-{name}")}
            command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind",
                       f"127.0.0.1:{port}", "wsgi:app"]  # fmt: skip
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            processes.append(process)
            urls[name] = f"http://127.0.0.1:{port}"
        worker_env = {**shared, "NUTERA_INSTANCE_PATH": str(tmp_path / "worker")}
        processes.append(start_queue_worker(worker_env))
        for name, process in zip(("a", "b"), processes, strict=False):
            _wait_up(urls[name], process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def _sign_in(session: requests.Session, url: str, username: str) -> None:
    token = _csrf(session.get(url + "/login", timeout=10).text)
    response = session.post(
        url + "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]


def test_a_session_started_on_one_node_is_valid_on_the_other_and_ends_on_both(cluster, world):
    a, b = cluster["a"], cluster["b"]
    with requests.Session() as staff:
        _sign_in(staff, a, world.usernames["staff"])
        on_b = staff.get(b + "/dasbor", allow_redirects=False, timeout=10)
        assert on_b.status_code == 200 and "Dasbor" in on_b.text
        token = _csrf(staff.get(b + "/akun/kata-sandi", timeout=10).text)  # a form served by B
        copied = dict(staff.cookies)  # what a thief would replay after sign-out
        out = staff.post(a + "/logout", data={"csrf_token": token}, allow_redirects=False)
        assert out.status_code == 302
    with requests.Session() as replay:
        replay.cookies.update(copied)
        for node in (a, b):
            ended = replay.get(node + "/dasbor", allow_redirects=False, timeout=10)
            assert ended.status_code == 302 and "/login" in ended.headers["Location"]


def test_a_rate_limit_counts_across_both_nodes(cluster):
    statuses = []
    for attempt in range(8):
        node = cluster["a"] if attempt % 2 == 0 else cluster["b"]
        statuses.append(requests.get(node + "/pengaduan", timeout=10).status_code)
    # 5 per hour in all: the sixth view is refused, whichever node serves it.
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429] * 3


def test_a_refresh_started_on_one_node_runs_on_the_worker_with_progress_read_on_the_other(
    cluster, world, app, tmp_path
):
    a, b = cluster["a"], cluster["b"]
    path = write_csv(tmp_path / "w.csv", world_rows())
    with requests.Session() as staff:
        _sign_in(staff, a, world.usernames["staff"])
        token = _csrf(staff.get(a + "/pemutakhiran/", timeout=10).text)
        with open(path, "rb") as handle:
            uploaded = staff.post(
                a + "/pemutakhiran/",
                data={"source": "DTKS Kemensos", "kelurahan_id": world.kelurahan_id,
                      "csrf_token": token},
                files={"file": ("w.csv", handle, "text/csv")},
                allow_redirects=False,
                timeout=30,
            )  # fmt: skip
        assert uploaded.status_code == 302, uploaded.text[:500]
        mapping_url = a + uploaded.headers["Location"]
        token = _csrf(staff.get(mapping_url, timeout=10).text)
        mapped = staff.post(
            mapping_url, data={**MAPPING, "csrf_token": token}, allow_redirects=False
        )
        assert mapped.status_code == 302
        with app.app_context():
            job = db.session.scalar(sa.select(RefreshJob).order_by(RefreshJob.id.desc()))
            job_id, refresh_id = job.id, job.refresh_id
        deadline, seen = time.monotonic() + 90, []
        while time.monotonic() < deadline:
            body = staff.get(f"{b}/pemutakhiran/tugas/{job_id}", timeout=10).json()
            seen.append(body["status"])
            if body["done"]:
                break
            time.sleep(0.3)
    assert body["status"] == "selesai" and body["progress"] == 100, seen
    with app.app_context():
        done = db.session.get(RefreshJob, job_id)
        assert done.worker and not done.worker.endswith(f":{os.getpid()}:")
        assert db.session.get(Refresh, refresh_id).status == "pratinjau"


def test_a_handover_photo_stored_through_one_node_is_served_by_the_other(cluster, world, app):
    a, b = cluster["a"], cluster["b"]
    with app.app_context():
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        event_id = make_event(db.session, world, households=("assigned",), volunteer_ids=[
            volunteer.id
        ])  # fmt: skip
        db.session.commit()
        recipient_id = db.session.scalar(
            sa.text("SELECT id FROM distribution_recipient WHERE event_id = :e"), {"e": event_id}
        )
    with requests.Session() as desk:
        _sign_in(desk, a, world.usernames["volunteer"])
        form_url = f"{a}/penyaluran/{event_id}/serah-terima/{recipient_id}"
        token = _csrf(desk.get(form_url, timeout=10).text)
        fields = handover_form()
        files = {key: (value[1], value[0].getvalue()) for key, value in fields.items()
                 if isinstance(value, tuple)}  # fmt: skip
        data = {k: v for k, v in fields.items() if not isinstance(v, tuple)}
        saved = desk.post(form_url, data={**data, "csrf_token": token}, files=files, timeout=30)
        assert saved.status_code == 201, saved.text[:500]
        thumb = desk.get(f"{b}/penyaluran/catatan/{saved.json()['handover_id']}/foto-kecil")
        assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
        assert thumb.content[:3] == b"\xff\xd8\xff"
