"""Throughput and latency of the public NIK lookup (/cek) against the trivial /healthz route.

For each size it builds a SQLite database of that many persons with bulk inserts, serves
the site with gunicorn on 127.0.0.1 (rate limiting on, limits raised), and drives both
routes from a second process with wrk (Debian: `apt-get install -y wrk`), or a small Python
client when wrk is missing. Prints requests/s, p50 and p99 for both, their ratio, and how
the lookup at the largest size compares with the smallest.

    .venv/bin/python bench/lookup.py --persons 25000 1000000
    .venv/bin/python bench/lookup.py --persons 25000 --duration 5 --connections 32
"""

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from _common import scratch_app

from nutera.extensions import db
from nutera.models import AidProgram, Enrollment, Household, Kelurahan, Person, Rt, Rw

ROOT = Path(__file__).resolve().parent.parent
FIRST = [
    "SITI",
    "BUDI",
    "DEWI",
    "AGUS",
    "RINA",
    "EKO",
    "NUR",
    "ADI",
    "LINA",
    "YUSUF",
    "ANI",
    "DIMAS",
    "AYU",
    "RIZKY",
    "PUTRI",
    "HENDRA",
]
LAST = [
    "AMINAH",
    "SANTOSO",
    "LESTARI",
    "PRATAMA",
    "HIDAYAT",
    "WIJAYA",
    "KURNIA",
    "SAPUTRA",
    "RAHAYU",
    "SETIAWAN",
    "NURHAYATI",
    "GUNAWAN",
    "MAULANA",
    "PERMANA",
]
BATCH = 20_000
CLIENTS = 4096  # distinct client addresses the load comes from (X-Forwarded-For)


def person_row(i: int, household_id: int, kelurahan_id: int) -> dict:
    """The i-th synthetic person: a unique valid NIK and a two-word name."""
    birth = date(1950, 1, 1) + timedelta(days=i % 20_000)
    sex = "P" if i % 2 else "L"
    day = birth.day + (40 if sex == "P" else 0)
    nik = f"327302{day:02d}{birth:%m%y}{i // 20_000 + 1:04d}"
    return {
        "kelurahan_id": kelurahan_id,
        "household_id": household_id,
        "nik": nik,
        "name": f"{FIRST[i % len(FIRST)]} {LAST[(i // 7) % len(LAST)]}",
        "sex": sex,
        "birth_date": birth,
        "relation": "kepala" if i % 4 == 0 else "anak",
        "status": "hidup",
    }


def build(persons: int) -> tuple[str, str, list[tuple[str, str]]]:
    """A migrated SQLite database with persons persons; returns (folder, url, samples)."""
    app = scratch_app()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    started = time.perf_counter()
    samples = []
    with app.app_context():
        kelurahan = Kelurahan(
            code="3273021003",
            name="Tamansari",
            kecamatan="Bandung Wetan",
            kota="Kota Bandung",
            kode_pos="40116",
        )
        db.session.add(kelurahan)
        db.session.flush()
        kid = kelurahan.id
        rw_ids = list(
            db.session.scalars(
                sa.insert(Rw).returning(Rw.id, sort_by_parameter_order=True),
                [{"kelurahan_id": kid, "number": n} for n in range(1, 21)],
            )
        )
        rt_ids = list(
            db.session.scalars(
                sa.insert(Rt).returning(Rt.id, sort_by_parameter_order=True),
                [
                    {"kelurahan_id": kid, "rw_id": rw, "number": n}
                    for rw in rw_ids
                    for n in range(1, 9)
                ],
            )
        )
        program = AidProgram(
            kelurahan_id=kid,
            code="PKH",
            name="Program Keluarga Harapan",
            target="household",
            description="",
        )
        db.session.add(program)
        db.session.flush()
        conn = db.session.connection()
        households = (persons + 3) // 4
        for start in range(0, households, BATCH):
            conn.execute(
                Household.__table__.insert(),
                [
                    {
                        "id": h + 1,
                        "kelurahan_id": kid,
                        "rt_id": rt_ids[h % len(rt_ids)],
                        "kk_number": f"32730201{h:08d}",
                        "address": f"Jl. Uji No. {h}",
                        "kode_pos": "40116",
                    }
                    for h in range(start, min(start + BATCH, households))
                ],
            )
        for start in range(0, persons, BATCH):
            rows = [
                person_row(i, i // 4 + 1, kid) for i in range(start, min(start + BATCH, persons))
            ]
            conn.execute(Person.__table__.insert(), rows)
        conn.execute(
            Enrollment.__table__.insert(),
            [
                {
                    "kelurahan_id": kid,
                    "program_id": program.id,
                    "household_id": h + 1,
                    "period_start": date(2026, 1, 1),
                    "status": "aktif",
                    "status_reason": "",
                }
                for h in range(0, households, 20)
            ],
        )
        db.session.commit()
        step = max(persons // 200, 1)
        for i in range(0, persons, step):
            row = person_row(i, 0, kid)
            samples.append((row["nik"], row["name"].title()))
    print(f"built {persons:,} persons in {time.perf_counter() - started:.1f} s ({url})")
    return app.instance_path, url, samples


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(
    folder: str, url: str, workers: str, storage: str, processes: int = 2
) -> tuple[subprocess.Popen, int]:
    """gunicorn on 127.0.0.1 with rate limiting on (storage as given) and its limits raised."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "NUTERA_INSTANCE_PATH": folder,
        "RATELIMIT_STORAGE_URI": storage,
        # Behind a proxy, as in production, so each request carries its client's address:
        # the load comes from CLIENTS addresses, each with its own rate-limit window.
        "NUTERA_PROXY_FIX_X_FOR": "1",
        "SECRET_KEY": "bench",
        "NUTERA_CEK_RATE_LIMIT": "100000 per minute",
        "NUTERA_CEK_CAPTCHA_AFTER": "1000000000",
        "NUTERA_RATELIMIT_ENABLED": "true",
    }
    worker_args = ["-w", str(processes)] + (
        [] if workers == "sync" else ["-k", "gthread", "--threads", "4"]
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            *worker_args,
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


def server_cpu_seconds(master: int) -> float:
    """User + system CPU seconds used so far by the gunicorn master and its workers."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == master or ppid == master:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def session_and_token(port: int) -> tuple[str, str]:
    """The /cek CSRF cookie and its form token from GET /cek (what a browser would have)."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/cek")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return cookie, token


def bodies(token: str, samples: list[tuple[str, str]]) -> list[str]:
    return [urlencode({"csrf_token": token, "nik": nik, "nama": name}) for nik, name in samples]


def run_wrk(
    port: int,
    path: str,
    duration: int,
    connections: int,
    cookie: str | None = None,
    posts: list[str] | None = None,
) -> dict:
    """requests/s, p50 and p99 (ms) measured by wrk."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    script = None
    if posts:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        # Every request is formatted once per wrk thread up front, so the load generator
        # spends its share of the two cores sending, not building strings.
        script.write(
            "bodies = " + json.dumps(posts).replace("[", "{", 1)[:-1] + "}\n"
            "requests = {}\n"
            f"for i = 0, {CLIENTS - 1} do\n"
            "  local ip = '10.' .. math.floor(i / 256) .. '.' .. (i % 256) .. '.1'\n"
            f"  requests[i + 1] = wrk.format('POST', '{path}', {{['Content-Type'] = "
            f"'application/x-www-form-urlencoded', ['Cookie'] = '{cookie}', "
            "['X-Forwarded-For'] = ip}, bodies[(i % #bodies) + 1])\n"
            "end\n"
            "counter = 0\n"
            "request = function()\n"
            "  counter = counter + 1\n"
            "  return requests[(counter % #requests) + 1]\n"
            "end\n"
        )
        script.close()
        args += ["-s", script.name]
    finished = subprocess.run(
        args + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    )
    if finished.stderr.strip() or "lua" in finished.stdout.lower():
        raise SystemExit(f"wrk failed: {finished.stderr}{finished.stdout}")
    output = finished.stdout
    if script:
        os.unlink(script.name)

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50": latency("50%"),
        "p99": latency("99%"),
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def run_python(
    port: int,
    path: str,
    duration: int,
    connections: int,
    cookie: str | None = None,
    posts: list[str] | None = None,
) -> dict:
    """A fallback keep-alive client in threads (weaker than wrk: it shares the CPU)."""
    samples: list[float] = []
    errors = [0]
    stop = time.perf_counter() + duration

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        n = offset
        while time.perf_counter() < stop:
            n += 1
            started = time.perf_counter()
            try:
                if posts:
                    conn.request(
                        "POST",
                        path,
                        posts[n % len(posts)],
                        {
                            "Content-Type": "application/x-www-form-urlencoded",
                            "Cookie": cookie,
                            "X-Forwarded-For": f"10.{n % CLIENTS // 256}.{n % 256}.1",
                        },
                    )
                else:
                    conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    errors[0] += 1
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port)
                continue
            samples.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=worker, args=(i * 7,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    samples.sort()
    return {
        "rps": len(samples) / duration,
        "requests": len(samples),
        "p50": statistics.median(samples),
        "p99": samples[int(len(samples) * 0.99) - 1],
        "errors": errors[0],
    }


def in_process_cpu(folder: str, url: str, samples: list[tuple[str, str]], storage: str) -> dict:
    """CPU ms per request of the app itself (no HTTP server), min of 5 batches: a figure the
    other processes on a shared machine barely disturb."""
    from werkzeug.test import EnvironBuilder

    from nutera import create_app

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": folder,
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_STORAGE_URI": storage,
            "CEK_RATE_LIMIT": "100000 per minute",
            "CEK_CAPTCHA_AFTER": 10**9,
            # Explicitly: Flask-Limiter keeps the last app's RATELIMIT_ENABLED as its default,
            # and build()'s scratch app turned it off, so this figure used to leave out the
            # lookup's rate-limit round trip.
            "RATELIMIT_ENABLED": True,
        }
    )
    client = app.test_client()
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/cek").get_data(as_text=True)
    ).group(1)
    cookie = "cek_csrf=" + client.get_cookie("cek_csrf", path="/cek").value

    def call(i: int, path: str) -> None:
        body = None
        if path == "/cek":
            nik, name = samples[i % len(samples)]
            body = urlencode({"csrf_token": token, "nik": nik, "nama": name})
        environ = EnvironBuilder(
            method="POST" if body else "GET",
            path=path,
            data=body,
            headers={"Cookie": cookie, "X-Forwarded-For": f"10.0.{i % 256}.1"},
            content_type="application/x-www-form-urlencoded" if body else None,
        ).get_environ()
        b"".join(app.wsgi_app(environ, lambda *args: None))

    figures = {}
    for path in ("/healthz", "/cek"):
        batches = []
        for _ in range(5):
            started = time.process_time()
            for i in range(200):
                call(i, path)
            batches.append((time.process_time() - started) * 1000 / 200)
        figures[path] = min(batches)
    return figures


def timed_load(load, master: int, port: int, path: str, args, *extra) -> dict:
    """Run the load generator and add the server's CPU milliseconds per request."""
    before = server_cpu_seconds(master)
    result = load(port, path, args.duration, args.connections, *extra)
    used = server_cpu_seconds(master) - before
    result["cpu_ms"] = used * 1000 / max(result["requests"], 1)
    return result


def measure(persons: int, args) -> dict:
    folder, url, samples = build(persons)
    cpu = in_process_cpu(folder, url, samples, args.limiter_storage)
    server, port = serve(folder, url, args.workers, args.limiter_storage, args.processes)
    try:
        cookie, token = session_and_token(port)
        posts = bodies(token, samples)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request(
            "POST",
            "/cek",
            posts[0],
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        page = conn.getresponse().read().decode()
        assert "cek-result" in page and "tidak ditemukan" not in page, "lookup does not find"
        load = run_wrk if shutil.which("wrk") and not args.python_client else run_python
        load(port, "/healthz", 2, args.connections)  # warm up
        health = timed_load(load, server.pid, port, "/healthz", args)
        lookup = timed_load(load, server.pid, port, "/cek", args, cookie, posts)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"{persons:>9,} persons  {load.__name__}, {args.connections} connections, "
        f"{args.duration} s, gunicorn {args.processes} {args.workers} workers, "
        f"limiter {args.limiter_storage}"
    )
    for label, r in (("/healthz", health), ("/cek POST", lookup)):
        print(
            f"  {label:<10} {r['rps']:8.0f} req/s   p50 {r['p50']:6.2f} ms   "
            f"p99 {r['p99']:6.2f} ms   errors {r['errors']}   "
            f"server CPU {r['cpu_ms']:.2f} ms/request"
        )
    print(
        f"  in-process app CPU per request: /healthz {cpu['/healthz']:.2f} ms, "
        f"/cek POST {cpu['/cek']:.2f} ms (ratio {cpu['/healthz'] / cpu['/cek']:.2f})"
    )
    print(
        f"  lookup/health throughput ratio: {lookup['rps'] / health['rps']:.2f}   "
        f"(server CPU per request ratio, robust to other load on the machine: "
        f"{health['cpu_ms'] / lookup['cpu_ms']:.2f})"
    )
    return {"health": health, "lookup": lookup, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, nargs="+", default=[25_000, 1_000_000])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--processes", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--python-client", action="store_true")
    # Production keeps rate-limit counters in Redis; memory:// (the development default)
    # starts a timer thread per hit in limits 5.x and costs ~1 ms per request under load.
    parser.add_argument(
        "--limiter-storage",
        default=os.environ.get("BENCH_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/12"),
    )
    args = parser.parse_args()
    results = {n: measure(n, args) for n in args.persons}
    if len(results) > 1:
        small, large = results[min(results)], results[max(results)]
        print(
            f"lookup at {max(results):,} vs {min(results):,} persons: "
            f"p50 {large['lookup']['p50'] / small['lookup']['p50']:.2f}x, "
            "server CPU per request "
            f"{large['lookup']['cpu_ms'] / small['lookup']['cpu_ms']:.2f}x, "
            f"in-process CPU {large['cpu']['/cek'] / small['cpu']['/cek']:.2f}x, "
            f"throughput {large['lookup']['rps'] / small['lookup']['rps']:.2f}x"
        )


if __name__ == "__main__":
    main()
