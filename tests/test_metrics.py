"""/metrics: requests per endpoint, job durations and queue depth, for operators only; summed
over gunicorn workers in multiprocess mode."""

import os
import re
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.processes import ROOT
from tests.test_queue import signed_in, uploaded_and_mapped

TOKEN = "rahasia-prometheus-123"


def _value(text: str, name: str, **labels) -> float | None:
    """The sample of name whose labels include labels, else None."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


@pytest.fixture
def metrics_app(make_app):
    return make_app(METRICS_TOKEN=TOKEN)


def test_metrics_are_hidden_from_the_public_and_from_non_admins(metrics_app, world):
    client = metrics_app.test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer salah"}).status_code == 404
    for role in ("staff", "dinas", "kecamatan"):
        signed = metrics_app.test_client()
        signed.post("/login", data={"username": world.usernames[role], "password": "x"})
        assert signed.get("/metrics").status_code == 404


def test_admin_or_the_token_reads_request_counts_and_latencies_per_endpoint(
    metrics_app, login_as, world
):
    client = metrics_app.test_client()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    client.get("/program")
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    count = "nutera_http_request_duration_seconds_count"
    assert _value(text, count, endpoint="main.healthz", method="GET", status="200") == 3.0
    assert _value(text, count, endpoint="programs.program_list", method="GET") >= 1.0
    assert _value(text, "nutera_http_request_duration_seconds_bucket", endpoint="main.healthz")
    assert "metrics" not in re.findall(r'endpoint="([^"]+)"', text)  # scrapes are not counted
    assert _value(text, "nutera_queue_depth") == 0.0


def test_job_durations_and_queue_depth_are_exported(make_app, world, tmp_path):
    queued = make_app(
        METRICS_TOKEN=TOKEN, QUEUE_IMMEDIATE=False, QUEUE_URL=f"sqlite:///{tmp_path / 'q.db'}"
    )
    client = signed_in(queued, world)
    uploaded_and_mapped(client, world, tmp_path)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    text = client.get("/metrics", headers=headers).get_data(as_text=True)
    assert _value(text, "nutera_queue_depth") == 1.0
    assert _value(text, "nutera_jobs", status="menunggu") == 1.0
    immediate = make_app(METRICS_TOKEN=TOKEN)
    other = signed_in(immediate, world)
    uploaded_and_mapped(other, world, tmp_path)  # runs its analysis at once
    text = other.get("/metrics", headers=headers).get_data(as_text=True)
    assert (
        _value(text, "nutera_job_duration_seconds_count", kind="analisis", status="selesai") == 1
    )
    assert _value(text, "nutera_job_duration_seconds_sum", kind="analisis") >= 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_workers_are_summed_in_multiprocess_mode(database_url, instance_path, tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "NUTERA_INSTANCE_PATH": instance_path,
        "SECRET_KEY": "test-secret",
        "NUTERA_METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(url + "/healthz", timeout=10)
                break
            except requests.RequestException:  # still booting
                time.sleep(0.2)
        with requests.Session() as session:
            for _ in range(40):  # keep-alive is off in sync workers: both workers serve
                session.get(url + "/healthz", timeout=5, headers={"Connection": "close"})
        text = requests.get(
            url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        ).text
        files = {p.name.split("_")[0] for p in folder.iterdir()}
    finally:
        server.terminate()
        server.wait(30)
    count = _value(
        text, "nutera_http_request_duration_seconds_count", endpoint="main.healthz", status="200"
    )
    assert count is not None and count >= 41.0  # 40 and the readiness poll, from every worker
    assert "histogram" in files or "counter" in files
    assert len({p.name for p in folder.iterdir()}) >= 2
