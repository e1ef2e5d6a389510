"""Throughput and latency of the integration API against the trivial /healthz route, and the
change feed read end to end.

Builds a SQLite database of --persons persons (bench/lookup.py's builder), registers an API
client, serves with gunicorn (2 sync workers, rate limiting on Redis with limits raised) and
drives, side by side in one run with wrk: GET /healthz, POST /api/v1/status/check and
POST /api/v1/status/check-batch with 100 NIKs. Then it writes --feed change_event rows
set-based and reads them all through GET /api/v1/changes (5,000 per page), printing
entries/s and the worker's memory before and after.

    .venv/bin/python bench/api.py --persons 25000 --feed 1000000
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

from lookup import build, free_port, server_cpu_seconds

from nutera import create_app
from nutera.api.clients import ClientInput, register_client
from nutera.changes import publish
from nutera.extensions import db
from nutera.models import User
from nutera.models.api import ApiScope, ChangeEvent
from nutera.timeutil import utcnow

ROOT = Path(__file__).resolve().parent.parent


def prepare(folder: str, url: str, feed: int) -> tuple[str, str]:
    """An admin, a whole-city client with every scope, and feed change_event rows."""
    # On the database build() made (scratch_app would wipe it: the status checks then found
    # nobody and measured only the "not found" path).
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": folder,
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        admin = User(username="admin", full_name="Admin", role="admin", password_hash="x")
        db.session.add(admin)
        db.session.flush()
        client, secret = register_client(
            db.session,
            admin,
            ClientInput("bench", [s.value for s in ApiScope], [], whole_city=True),
            date(2026, 12, 1),
        )
        db.session.commit()
        started = time.perf_counter()
        table = ChangeEvent.__table__
        moment = utcnow()
        step = 50_000
        for first in range(0, feed, step):
            db.session.execute(
                table.insert(),
                [
                    {
                        "kind": "person",
                        "entity_id": i + 1,
                        "kelurahan_id": 1,
                        "op": "update",
                        "at": moment,
                    }
                    for i in range(first, min(first + step, feed))
                ],
            )
        db.session.commit()
        print(f"wrote {feed:,} change_event rows in {time.perf_counter() - started:.1f} s")
        # Writers' changes are published as they are read; here a million at once, timed
        # apart so the read figure is the read.
        started = time.perf_counter()
        publish(db.session)
        db.session.commit()
        print(f"published them (positions) in {time.perf_counter() - started:.1f} s")
        return client.client_id, secret


def serve(folder: str, url: str, storage: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "NUTERA_INSTANCE_PATH": folder,
        "RATELIMIT_STORAGE_URI": storage,
        "SECRET_KEY": "bench",
        "NUTERA_API_RATE_LIMIT": "10000000 per minute",
        "NUTERA_API_TOKEN_LIFETIME": "3600",
        "NUTERA_RATELIMIT_ENABLED": "true",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
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
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def token(port: int, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/oauth/token",
        data=b"grant_type=client_credentials",
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    return json.load(urllib.request.urlopen(request))["access_token"]


def wrk(port: int, path: str, duration: int, connections: int, bodies=None, bearer=None) -> dict:
    """requests/s, p50 and p99 (ms) from wrk; JSON bodies are pre-formatted per request."""
    import re

    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    script = None
    if bodies:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        lua_bodies = "{" + ",".join(json.dumps(b) for b in bodies) + "}"
        script.write(
            f"bodies = {lua_bodies}\nrequests = {{}}\n"
            "for i, b in ipairs(bodies) do\n"
            f"  requests[i] = wrk.format('POST', '{path}', {{['Content-Type'] = "
            f"'application/json', ['Authorization'] = 'Bearer {bearer}'}}, b)\n"
            "end\ncounter = 0\nrequest = function()\n  counter = counter + 1\n"
            "  return requests[(counter % #requests) + 1]\nend\n"
        )
        script.close()
        args += ["-s", script.name]
    out = subprocess.run(
        args + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    if script:
        os.unlink(script.name)

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50%"),
        "p99": latency("99%"),
        "errors": int(bad.group(1)) if bad else 0,
    }


def worker_rss_mb(master: int) -> float:
    """Largest resident memory of the master's worker processes, in MB."""
    largest = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master):
            largest = max(largest, int(fields.get("VmRSS", "0 kB").split()[0]))
    return largest / 1024


def read_feed(port: int, bearer: str) -> tuple[int, float]:
    """Every change through the API, page by page; (entries, seconds)."""
    started, count, after = time.perf_counter(), 0, None
    while True:
        query = {"limit": 5000, **({"after": after} if after else {})}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/changes?{urllib.parse.urlencode(query)}",
            headers={"Authorization": f"Bearer {bearer}"},
        )
        page = json.load(urllib.request.urlopen(request, timeout=120))
        count += len(page["items"])
        if page["next_cursor"] is None:
            return count, time.perf_counter() - started
        after = page["next_cursor"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=25_000)
    parser.add_argument("--feed", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--limiter-storage",
        default=os.environ.get("BENCH_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/12"),
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    folder, url, samples = build(args.persons)
    client_id, secret = prepare(folder, url, args.feed)
    server, port = serve(folder, url, args.limiter_storage)
    try:
        bearer = token(port, client_id, secret)
        singles = [json.dumps({"nik": n, "name": name}) for n, name in samples]
        items = [{"nik": n, "name": name} for n, name in samples]
        batches = [json.dumps({"items": (items * 2)[i : i + 100]}) for i in range(0, 200, 10)]
        wrk(port, "/healthz", 2, args.connections)  # warm up
        runs = {}
        for label, path, bodies in (
            ("GET /healthz", "/healthz", None),
            ("POST status/check", "/api/v1/status/check", singles),
            ("POST check-batch x100", "/api/v1/status/check-batch", batches),
        ):
            before = server_cpu_seconds(server.pid)
            runs[label] = wrk(port, path, args.duration, args.connections, bodies, bearer)
            runs[label]["cpu"] = server_cpu_seconds(server.pid) - before
        print(
            f"{args.persons:,} persons, gunicorn 2 sync workers, {args.connections} "
            f"connections, {args.duration} s, limiter {args.limiter_storage}"
        )
        for label, r in runs.items():
            print(
                f"  {label:<22} {r['rps']:8.0f} req/s   p50 {r['p50']:7.2f} ms   "
                f"p99 {r['p99']:7.2f} ms   non-2xx {r['errors']}   server CPU "
                f"{r['cpu'] * 1000 / max(r['rps'] * args.duration, 1):.2f} ms/request"
            )
        health, single = runs["GET /healthz"], runs["POST status/check"]
        print(
            f"  status/check : healthz throughput ratio {single['rps'] / health['rps']:.2f} "
            f"(target >= 0.5); check-batch p99 {runs['POST check-batch x100']['p99']:.1f} ms "
            "(target < 100 ms)"
        )
        rss_before = worker_rss_mb(server.pid)
        count, seconds = read_feed(port, bearer)
        rss_after = worker_rss_mb(server.pid)
        print(
            f"  change feed: {count:,} entries in {seconds:.1f} s = {count / seconds:,.0f} "
            f"entries/s (target >= 50,000); worker RSS {rss_before:.0f} -> {rss_after:.0f} MB"
        )
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
