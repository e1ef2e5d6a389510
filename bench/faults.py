"""Faults as operators meet them, against a live gunicorn on loopback; prints what each does.

    .venv/bin/python bench/faults.py                                   # SQLite
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/DB .venv/bin/python bench/faults.py

1. Two staff commit refreshes of two sources of one kelurahan at the same moment, both
   renaming the same residents; then the applied one is reverted.
2. The gunicorn worker running a commit is killed (SIGKILL) half-way; how long until the
   page offers "Coba lagi", whether the lock is released and the registry untouched, and
   whether the retry goes through.
3. Redis stopped (a port nothing listens on) and hanging (accepts, never answers): status
   codes and the slowest answer of /cek, /pengaduan, a complaint status page, the login POST,
   and a staff page.
The database given is wiped first.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path

import requests
import sqlalchemy as sa
from _common import scratch_app

from nutera.extensions import db  # noqa: E402
from nutera.models import Kelurahan, Person, Refresh, RefreshJob, RefreshLock  # noqa: E402
from tests import factories  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOUSEHOLDS = int(os.environ.get("FAULTS_HOUSEHOLDS", "2000"))
NEW_RESIDENTS = int(os.environ.get("FAULTS_NEW_RESIDENTS", "40000"))
HEADER = "NO;NIK;NO KK;NAMA;JENIS KELAMIN;TGL LAHIR;ALAMAT;RT;RW\n"
MAPPING = {
    "nik": "NIK",
    "kk": "NO KK",
    "name": "NAMA",
    "sex": "JENIS KELAMIN",
    "birth_date": "TGL LAHIR",
    "address": "ALAMAT",
    "rt": "RT",
    "rw": "RW",
}


# --- set-up ---------------------------------------------------------------------------------


def seed(app) -> list[tuple]:
    """A kelurahan with HOUSEHOLDS one-person households and a staff account."""
    with app.app_context():
        kelurahan = factories.make_kelurahan(db.session, "3273021003", "Tamansari", (5, 5))
        factories.make_user(db.session, "petugas", "staff", kelurahan)
        rt = factories.rt_of(kelurahan, 1, 1)
        rows = []
        for n in range(HOUSEHOLDS):
            born = date(1960 + n % 40, 1 + n % 12, 1 + n % 28)
            household = factories.make_household(
                db.session,
                rt,
                kk_number=factories.make_kk(serial=n + 1),
                members=[{"name": f"ASLI {n}", "sex": "L", "birth_date": born}],
            )
            rows.append((household.members[0].nik, household.kk_number, born))
        db.session.commit()
        return rows


def write_file(folder: Path, name: str, rows: list[tuple], prefix: str, sex: str = "L") -> Path:
    path = folder / name
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for n, (nik, kk, born) in enumerate(rows, start=1):
            handle.write(
                f"{n};{nik};{kk};{prefix} {n};{sex};{born:%d/%m/%Y};Jl. Uji {n};001;001\n"
            )
    return path


def new_residents_file(folder: Path) -> Path:
    rows = []
    for n in range(NEW_RESIDENTS):
        born = date(1950 + n % 50, 1 + n % 12, 1 + n % 28)
        nik = factories.make_nik(born, "P", serial=n % 9999 + 1)
        rows.append((nik, factories.make_kk(issued=date(2016, 1, 1), serial=n // 4 + 1), born))
    return write_file(folder, "baru.csv", rows, "WARGA", sex="P")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn with 2 workers x 4 threads on loopback, as the README deploys it."""

    def __init__(self, app, redis_uri: str = "memory://"):
        self.port = free_port()
        env = {
            **os.environ,
            "NUTERA_INSTANCE_PATH": app.instance_path,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "faults",
            "RATELIMIT_STORAGE_URI": redis_uri,
        }
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "--workers=2",
                "--threads=4",
                f"--bind=127.0.0.1:{self.port}",
                "--log-level=warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log: list[str] = []
        threading.Thread(target=self._read_log, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(600):
            try:
                requests.get(self.url + "/healthz", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def _read_log(self):
        for line in self.process.stderr:
            self.log.append(line.rstrip())

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(20)


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return match.group(1) if match else ""


def staff_session(base: str) -> requests.Session:
    browser = requests.Session()
    token = csrf(browser.get(base + "/login").text)
    response = browser.post(
        base + "/login",
        data={"username": "petugas", "password": factories.PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:300]
    return browser


def upload_and_preview(base: str, browser, path: Path, source: str, kelurahan_id: int) -> int:
    token = csrf(browser.get(base + "/pemutakhiran/").text)
    with open(path, "rb") as handle:
        response = browser.post(
            base + "/pemutakhiran/",
            data={"source": source, "kelurahan_id": kelurahan_id, "csrf_token": token},
            files={"file": (path.name, handle, "text/csv")},
            allow_redirects=False,
        )
    mapping_url = base + response.headers["Location"]
    token = csrf(browser.get(mapping_url).text)
    browser.post(mapping_url, data={**MAPPING, "csrf_token": token}, allow_redirects=False)
    refresh_id = int(re.search(r"/pemutakhiran/(\d+)/", mapping_url).group(1))
    wait_for(lambda: refresh_status(refresh_id) == "pratinjau", 120)
    return refresh_id


APP = None


def refresh_status(refresh_id: int) -> str:
    with APP.app_context():
        status = db.session.scalar(sa.select(Refresh.status).where(Refresh.id == refresh_id))
        db.session.remove()
        return status


def wait_for(condition, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise TimeoutError


def post_action(base, browser, refresh_id, action):
    page = browser.get(f"{base}/pemutakhiran/{refresh_id}").text
    return browser.post(
        f"{base}/pemutakhiran/{refresh_id}/{action}",
        data={"csrf_token": csrf(page)},
        allow_redirects=False,
    )


def last_job(refresh_id: int):
    with APP.app_context():
        job = db.session.scalar(
            sa.select(RefreshJob)
            .where(RefreshJob.refresh_id == refresh_id)
            .order_by(RefreshJob.id.desc())
            .limit(1)
        )
        db.session.expunge_all()
        db.session.remove()
        return job


def name_prefixes() -> dict[str, int]:
    """Residents per first word of their name (ASLI, DTKS, DINSOS, WARGA)."""
    with APP.app_context():
        names = db.session.scalars(sa.select(Person.name)).all()
        db.session.remove()
    return dict(Counter(name.split()[0] for name in names))


# --- scenarios ------------------------------------------------------------------------------


def scenario_1(base, folder, rows, kelurahan_id):
    print("\n1. Two sources committed at the same moment, renaming the same residents")
    first, second = staff_session(base), staff_session(base)
    a = upload_and_preview(
        base, first, write_file(folder, "a.csv", rows, "DTKS"), "DTKS", kelurahan_id
    )
    b = upload_and_preview(
        base, second, write_file(folder, "b.csv", rows, "DINSOS"), "Dinsos", kelurahan_id
    )
    barrier = threading.Barrier(2)

    def press(browser, refresh_id):
        page = browser.get(f"{base}/pemutakhiran/{refresh_id}").text
        barrier.wait()
        browser.post(
            f"{base}/pemutakhiran/{refresh_id}/terapkan",
            data={"csrf_token": csrf(page)},
            allow_redirects=False,
        )

    threads = [
        threading.Thread(target=press, args=(first, a)),
        threading.Thread(target=press, args=(second, b)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for refresh_id in (a, b):
        wait_for(lambda r=refresh_id: last_job(r).status in ("selesai", "gagal"), 120)
    for refresh_id, source in ((a, "DTKS"), (b, "Dinsos")):
        job = last_job(refresh_id)
        print(f"   {source:7} commit: job {job.status}: {job.message[:110]}")
    print(f"   names now: {name_prefixes()}")
    applied = next((r for r in (a, b) if refresh_status(r) == "diterapkan"), None)
    if applied is None:
        print("   neither applied")
        return
    post_action(base, first, applied, "batalkan")
    wait_for(lambda: last_job(applied).status in ("selesai", "gagal"), 120)
    print(
        f"   revert of the applied one: {last_job(applied).status}; names now: {name_prefixes()}"
    )


def scenario_2(base, folder, kelurahan_id):
    print(f"\n2. Worker killed during a commit ({NEW_RESIDENTS} new residents)")
    browser = staff_session(base)
    refresh_id = upload_and_preview(
        base, browser, new_residents_file(folder), "Kecamatan", kelurahan_id
    )
    before = sum(name_prefixes().values())
    post_action(base, browser, refresh_id, "terapkan")
    wait_for(lambda: last_job(refresh_id).status == "berjalan", 60)
    time.sleep(0.3)  # into the work
    job = last_job(refresh_id)
    pid = int(job.worker.split(":")[1])
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    print(f"   killed worker pid {pid} at {job.progress}% ({job.message})")
    page = ""
    while "Coba lagi" not in page and time.monotonic() - killed < 120:
        try:
            page = browser.get(f"{base}/pemutakhiran/{refresh_id}").text
        except requests.ConnectionError:  # the kept-alive connection was the dead worker's
            browser.close()
        time.sleep(0.2)
    job = last_job(refresh_id)
    with APP.app_context():
        locks = db.session.scalar(sa.select(sa.func.count()).select_from(RefreshLock))
        db.session.remove()
    print(
        f"   page offers 'Coba lagi' after {time.monotonic() - killed:.1f} s; job {job.status}: "
        f"{job.message}"
    )
    print(
        f"   lock rows left: {locks}; residents before {before}, now "
        f"{sum(name_prefixes().values())} (registry untouched)"
    )
    started = time.monotonic()
    post_action(base, browser, refresh_id, "coba-lagi")
    wait_for(lambda: last_job(refresh_id).status in ("selesai", "gagal"), 300)
    print(
        f"   'Coba lagi': job {last_job(refresh_id).status} in {time.monotonic() - started:.1f} s;"
        f" refresh {refresh_status(refresh_id)}; residents now {sum(name_prefixes().values())}"
    )


class HangingRedis:
    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(128)
        self.port = self.socket.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.connections.append(self.socket.accept()[0])
            except OSError:
                return

    def close(self):
        for connection in self.connections:
            connection.close()
        self.socket.close()


def probe_public(base: str, kelurahan_id: int) -> list[str]:
    browser = requests.Session()
    results = []

    def call(label, method, path, **kwargs):
        started = time.monotonic()
        response = browser.request(
            method, base + path, allow_redirects=False, timeout=30, **kwargs
        )
        results.append((label, response.status_code, time.monotonic() - started))
        return response

    for _ in range(3):
        page = call("GET /cek", "GET", "/cek").text
        call(
            "POST /cek",
            "POST",
            "/cek",
            data={"nik": "3273024101900001", "nama": "Siti", "csrf_token": csrf(page)},
        )
        page = call("GET /pengaduan", "GET", f"/pengaduan?kelurahan={kelurahan_id}").text
        call(
            "POST /pengaduan",
            "POST",
            f"/pengaduan?kelurahan={kelurahan_id}",
            data={
                "category": "tidak_terima",
                "description": "Bantuan belum diterima tiga bulan.",
                "captcha": "XXXXX",
                "csrf_token": csrf(page),
            },
        )
        call("GET /pengaduan/<kode>", "GET", "/pengaduan/NTR-K7XMA-3PC9R")
        page = call("GET /login", "GET", "/login").text
        call(
            "POST /login",
            "POST",
            "/login",
            data={"username": "petugas", "password": factories.PASSWORD, "csrf_token": csrf(page)},
        )
        call("GET /dasbor (staff)", "GET", "/dasbor")
        call(
            "POST /logout",
            "POST",
            "/logout",
            data={"csrf_token": csrf(browser.get(base + "/dasbor").text)},
        )
    lines = []
    for label in dict.fromkeys(label for label, _, _ in results):
        mine = [(code, seconds) for name, code, seconds in results if name == label]
        codes = sorted({code for code, _ in mine})
        slowest = max(seconds for _, seconds in mine)
        lines.append(f"   {label:22} status {codes}  slowest {slowest * 1000:6.0f} ms")
    return lines


def scenario_3(app, kelurahan_id):
    print("\n3. Redis stopped, then hanging")
    for label in ("stopped (nothing listens)", "hanging (accepts, never answers)"):
        hanging = HangingRedis() if label.startswith("hanging") else None
        port = hanging.port if hanging else free_port()
        server = Gunicorn(app, f"redis://127.0.0.1:{port}/0")
        try:
            print(f"  Redis {label}:")
            for line in probe_public(server.url, kelurahan_id):
                print(line)
        finally:
            server.stop()
            if hanging:
                hanging.close()
        warnings = [line for line in server.log if "unreachable" in line]
        print(f"   warnings logged (2 workers, 24 requests each kind): {len(warnings)}")


def main():
    global APP
    APP = app = scratch_app()
    folder = Path(app.instance_path)
    rows = seed(app)
    with app.app_context():
        kelurahan_id = db.session.scalar(sa.select(Kelurahan.id))
        print(f"database: {db.engine.dialect.name}; {HOUSEHOLDS} residents")
        db.session.remove()
    server = Gunicorn(app, os.environ.get("FAULTS_REDIS", "memory://"))
    try:
        scenario_1(server.url, folder, rows, kelurahan_id)
        scenario_2(server.url, folder, kelurahan_id)
    finally:
        server.stop()
    scenario_3(app, kelurahan_id)


if __name__ == "__main__":
    sys.exit(main())
