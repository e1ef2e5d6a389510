"""A whole city on PostgreSQL: Kota Bandung's 151 kelurahan and its residents, bulk loaded.

    flock /tmp/nutera-bench.lock .venv/bin/python bench/city.py        # 2,500,000 residents
    flock /tmp/nutera-bench.lock .venv/bin/python bench/city.py --persons 250000   # reduced
    CITY_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/nutera_city_bench \\
        CITY_SMALL_DATABASE_URL=...nutera_city_small .venv/bin/python bench/city.py

Builds the city with `regions add-city 32.73` (151 kelurahan), RWs and RTs from a sheet
(the rt-sheet feature), households and residents by COPY, two programs per kelurahan with
their recipients and a few complaints; builds the same shape with 25,000 residents as the
floor. After each bulk load it does what an operator does after one: VACUUM (ANALYZE),
waited for, then `flask city recount`; it then waits until no autovacuum worker runs.

Serves both with gunicorn (2 sync workers each, the limiter on Redis) and measures them
interleaved, so that noise from the shared machine hits both: --rounds rounds of /healthz
and /cek (POST, NIK + name) with wrk on the floor and on the city, in alternating order,
medians printed side by side with the ratio of the lookup at city scale to its
25,000-resident figure. It prints the lookup's query plan at city scale (EXPLAIN ANALYZE:
which indexes it uses), the city overview (/kota) and double-dipping report times for a
dinas account, and one kelurahan's weekly refresh (flask refresh import --commit of its
extract, 1% changed) while /cek is under load, with the lookup's p99 during it.
"""

import argparse
import http.client
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
import sqlalchemy as sa
from _common import scratch_app
from lookup import FIRST, LAST, bodies, run_wrk, serve, session_and_token

from nutera.auth.services import create_user
from nutera.city import figures
from nutera.complaints.services import ComplaintInput, file_complaint
from nutera.extensions import db
from nutera.models import AidProgram, Kelurahan, Rt, Rw
from nutera.regions.city import add_city, apply_rt_sheet

ROOT = Path(__file__).resolve().parent.parent
RWS, RTS = 10, 8  # per kelurahan
PER_HOUSEHOLD = 4
DAYS = 20_000  # birth dates spread over ~55 years; with the serial this keeps NIKs unique
BIG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/nutera_city_bench"
SMALL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/nutera_city_small"
DINAS_PASSWORD = "dinas-bench-password"
BORN0 = date(1950, 1, 1)


def ensure_database(url: str) -> None:
    """Create the database of url if it does not exist yet."""
    base, name = url.rsplit("/", 1)
    engine = sa.create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def person(g: int) -> tuple[str, str, str, date]:
    """The g-th resident of the city: (nik, name, sex, birth date), NIKs unique city-wide."""
    born = BORN0 + timedelta(days=g % DAYS)
    sex = "P" if g % 2 else "L"
    day = born.day + (40 if sex == "P" else 0)
    district = "327301"  # the synthetic NIKs share one district code: the lookup ignores it
    nik = f"{district}{day:02d}{born:%m%y}{g // DAYS + 1:04d}"
    return nik, f"{FIRST[g % len(FIRST)]} {LAST[(g // 7) % len(LAST)]}", sex, born


def build(url: str, persons: int) -> tuple[str, dict]:
    """Migrate url afresh and load the city into it; returns (instance folder, facts)."""
    os.environ["DATABASE_URL"] = url
    app = scratch_app()
    facts: dict = {}
    started = time.perf_counter()
    with app.app_context():
        add_city(db.session, "3273")
        kelurahans = list(db.session.execute(sa.select(Kelurahan.id, Kelurahan.code)))
        sheet = [["kode kelurahan", "rw", "jumlah rt"]] + [
            [code, str(rw), str(RTS)] for _, code in kelurahans for rw in range(1, RWS + 1)
        ]
        apply_rt_sheet(db.session, sheet)
        programs = {}
        for kid, _ in kelurahans:
            for code in ("PKH", "BPNT"):
                program = AidProgram(
                    kelurahan_id=kid, code=code, name=f"Program {code}", target="household"
                )
                db.session.add(program)
                db.session.flush()
                programs[(kid, code)] = program.id
        rts = {}
        for rt_id, kid, rt, rw in db.session.execute(
            sa.select(Rt.id, Rt.kelurahan_id, Rt.number, Rw.number)
            .join(Rw, Rw.id == Rt.rw_id)
            .order_by(Rt.id)  # RW 01 RT 01..08, RW 02 ...: the extract numbers them alike
        ):
            rts.setdefault(kid, []).append((rt_id, rt, rw))
        db.session.commit()
        facts["setup_s"] = time.perf_counter() - started
        loaded = time.perf_counter()
        raw = db.engine.raw_connection()
        try:
            facts.update(_copy(raw, kelurahans, rts, programs, persons))
            raw.commit()
        finally:
            raw.close()
        facts["copy_s"] = time.perf_counter() - loaded
        _complaints(kelurahans)
        create_user(
            db.session,
            username="dinsos",
            full_name="Dinas Sosial",
            password=DINAS_PASSWORD,
            role="dinas",
            kelurahan=None,
        )
        db.session.commit()
        facts["build_s"] = time.perf_counter() - started
        # What an operator does after a bulk load: VACUUM (ANALYZE) (sets the visibility
        # map and the planner's statistics; otherwise autovacuum does it later, under load),
        # then the overview's counts (flask city recount; the queue would within 15 min).
        vacuumed = time.perf_counter()
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                sa.text("VACUUM (ANALYZE)")
            )
        facts["vacuum_s"] = time.perf_counter() - vacuumed
        recounted = time.perf_counter()
        figures.recount(db.session, datetime.now(UTC))
        db.session.commit()
        facts["recount_s"] = time.perf_counter() - recounted
        facts["plan"] = lookup_plan(person(facts["persons"] // 2)[0])
        db.engine.dispose()
    facts["kelurahan"] = len(kelurahans)
    facts["first"] = kelurahans[0]
    return app.instance_path, facts


def lookup_plan(nik: str) -> dict:
    """EXPLAIN ANALYZE of the /cek statement for one NIK: the indexes it uses, its times."""
    from nutera.lookup import services

    compiled = services._LOOKUP.compile(dialect=db.engine.dialect)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET jit = off")  # as the web workers see it: no JIT at this cost
        lines = [
            row[0]
            for row in conn.exec_driver_sql(
                "EXPLAIN ANALYZE " + str(compiled), {**compiled.params, "nik": nik}
            )
        ]
    text = "\n".join(lines)
    indexes = sorted(set(re.findall(r"(?:Index|Index Only) Scan using (\w+)", text)))
    indexes += sorted(set(re.findall(r"Bitmap Index Scan on (\w+)", text)))
    return {
        "indexes": indexes,
        "seq_scans": sorted(set(re.findall(r"Seq Scan on (\w+)", text))),
        "execution_ms": float(re.search(r"Execution Time: ([\d.]+)", text).group(1)),
        "planning_ms": float(re.search(r"Planning Time: ([\d.]+)", text).group(1)),
    }


def wait_for_autovacuum(url: str, limit_s: float = 300) -> float:
    """Seconds waited until no autovacuum worker runs on url's database."""
    name = url.rsplit("/", 1)[1]
    engine = sa.create_engine(url)
    started = time.perf_counter()
    with engine.connect() as conn:
        while time.perf_counter() - started < limit_s:
            busy = conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :n "
                    "AND backend_type = 'autovacuum worker'"
                ),
                {"n": name},
            )
            conn.rollback()
            if not busy:
                break
            time.sleep(2)
    engine.dispose()
    return time.perf_counter() - started


def _copy(raw, kelurahans, rts, programs, persons: int) -> dict:
    """Households, residents and recipients by COPY, kelurahan after kelurahan."""
    now = datetime.now(UTC)
    per_kelurahan = persons // len(kelurahans)
    households_per = (per_kelurahan + PER_HOUSEHOLD - 1) // PER_HOUSEHOLD
    cursor = raw.cursor()
    g = h = 0
    with cursor.copy(
        "COPY household (id, kelurahan_id, rt_id, kk_number, address, kode_pos, created_at, "
        "updated_at) FROM STDIN"
    ) as copy:
        for kid, _ in kelurahans:
            places = rts[kid]
            for n in range(households_per):
                h += 1
                rt_id = places[n % len(places)][0]
                copy.write_row((h, kid, rt_id, f"3273{h:012d}", f"Jl. Kota No. {n}", "40116",
                                now, now))  # fmt: skip
    with cursor.copy(
        "COPY person (kelurahan_id, household_id, nik, name, sex, birth_date, relation, "
        "status, is_asn_tni_polri, has_ktp, residence, created_at, updated_at) FROM STDIN"
    ) as copy:
        first_household = 1
        for kid, _ in kelurahans:
            for i in range(per_kelurahan):
                nik, name, sex, born = person(g)
                household = first_household + i // PER_HOUSEHOLD
                relation = "kepala" if i % PER_HOUSEHOLD == 0 else "anak"
                copy.write_row((kid, household, nik, name, sex, born, relation, "hidup", False,
                                True, "tetap", now, now))  # fmt: skip
                g += 1
            first_household += households_per
    enrolled = 0
    with cursor.copy(
        "COPY enrollment (kelurahan_id, program_id, household_id, period_start, status, "
        "status_reason, created_at, updated_at) FROM STDIN"
    ) as copy:
        first_household = 1
        for kid, _ in kelurahans:
            for n in range(households_per):
                for code, every in (("PKH", 10), ("BPNT", 7)):
                    if n % every == 0:
                        copy.write_row((kid, programs[(kid, code)], first_household + n,
                                        date(2026, 1, 1), "aktif", "", now, now))  # fmt: skip
                        enrolled += 1
            first_household += households_per
    cursor.execute("SELECT setval(pg_get_serial_sequence('household', 'id'), %s)", (h,))
    return {"persons": g, "households": h, "enrollments": enrolled, "per_kelurahan": per_kelurahan}


def _complaints(kelurahans) -> None:
    """Two complaints per kelurahan, one of them filed a month ago (overdue by now)."""
    for kid, _ in kelurahans:
        rt_id = db.session.scalar(sa.select(Rt.id).where(Rt.kelurahan_id == kid).limit(1))
        for received in (date.today() - timedelta(days=30), date.today()):
            file_complaint(
                db.session,
                ComplaintInput(
                    kelurahan_id=kid,
                    rt_id=rt_id,
                    category="tidak_terima",
                    description="Bantuan bulan ini tidak sampai ke rumah kami.",
                    subject_name="WARGA UJI",
                    reporter_name="Pelapor",
                    reporter_phone="081234567890",
                ),
                [],
                received,
            )
    db.session.commit()


def samples(persons: int, count: int = 200) -> list[tuple[str, str]]:
    step = max(persons // count, 1)
    return [(person(g)[0], person(g)[1].title()) for g in range(0, persons, step)]


def overview_time(port: int, repeat: int = 5, path: str = "/kota", marker: str = "data-kelurahan"):
    """Milliseconds of GET path (the city overview) for a signed-in dinas account."""
    base = f"http://127.0.0.1:{port}"
    with requests.Session() as session:
        page = session.get(base + "/login").text
        token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
        signed = session.post(
            base + "/login",
            data={"username": "dinsos", "password": DINAS_PASSWORD, "csrf_token": token},
            allow_redirects=False,
        )
        assert signed.status_code == 302, signed.text[:300]
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = session.get(base + path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200 and marker in response.text
    return times


def extract(folder: str, first: tuple[int, str], facts: dict) -> Path:
    """The weekly extract of the first kelurahan: its residents, 1% of names changed."""
    kid, code = first
    path = Path(folder) / f"mingguan-{code}.csv"
    per, households_per = facts["per_kelurahan"], -(-facts["per_kelurahan"] // PER_HOUSEHOLD)
    buffer = io.StringIO()
    buffer.write("DATA MINGGUAN KELURAHAN\n;;;\nNO;NIK;NO KK;NAMA;JENIS KELAMIN;TGL LAHIR;")
    buffer.write("ALAMAT;RT;RW;BANSOS\n")
    for i in range(per):
        nik, name, sex, born = person(i)  # the first kelurahan holds residents 0..per-1
        n = i // PER_HOUSEHOLD
        rt, rw = (n % (RWS * RTS)) % RTS + 1, (n % (RWS * RTS)) // RTS + 1
        if i % 100 == 7:
            name += " PUTRA"
        buffer.write(
            f"{i + 1};{nik};3273{n + 1:012d};{name};{sex};{born:%d/%m/%Y};Jl. Kota No. {n};"
            f"{rt};{rw};\n"
        )
    assert households_per >= 1
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def refresh_under_load(port: int, url: str, folder: str, facts: dict, lookup: dict, args):
    """One kelurahan's weekly refresh (CLI import --commit) while wrk drives /cek."""
    path = extract(folder, facts["first"], facts)
    env = {**os.environ, "DATABASE_URL": url, "NUTERA_INSTANCE_PATH": folder, "SECRET_KEY": "b"}
    result: dict = {}

    def load() -> None:
        result["lookup"] = run_wrk(
            port, "/cek", args.refresh_load, args.connections, lookup["cookie"], lookup["posts"]
        )

    loader = threading.Thread(target=load)
    loader.start()
    time.sleep(1)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "nutera", "refresh", "import", str(path),
         "--source", "DTKS mingguan", "--commit", "--kelurahan", facts["first"][1]],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    result["refresh_s"] = time.perf_counter() - started
    loader.join()
    if done.returncode != 0:
        raise SystemExit(f"refresh failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    result["rows"] = facts["per_kelurahan"]
    return result


def prepare(url: str, persons: int, args) -> dict:
    """Build the city in url, wait for autovacuum, serve it; returns what the runs need."""
    ensure_database(url)
    folder, facts = build(url, persons)
    facts["autovacuum_wait_s"] = wait_for_autovacuum(url)
    print(
        f"built {facts['persons']:,} residents, {facts['households']:,} households, "
        f"{facts['enrollments']:,} recipients in {facts['kelurahan']} kelurahan in "
        f"{facts['build_s']:.1f} s (COPY {facts['copy_s']:.1f} s, "
        f"{facts['persons'] / facts['copy_s']:,.0f} residents/s incl. households); "
        f"VACUUM (ANALYZE) {facts['vacuum_s']:.1f} s, city recount {facts['recount_s']:.2f} s, "
        f"autovacuum idle after {facts['autovacuum_wait_s']:.0f} s",
        flush=True,
    )
    plan = facts["plan"]
    print(
        f"  /cek plan: indexes {', '.join(plan['indexes'])}; sequential scans: "
        f"{', '.join(plan['seq_scans']) or 'none'}; execution {plan['execution_ms']:.2f} ms, "
        f"planning {plan['planning_ms']:.2f} ms",
        flush=True,
    )
    server, port = serve(folder, url, "sync", args.limiter, 2)
    cookie, token = session_and_token(port)
    posts = bodies(token, samples(facts["persons"]))
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    conn.request("POST", "/cek", posts[-1], headers)
    page = conn.getresponse().read().decode()
    assert "cek-result" in page and "tidak ditemukan" not in page, "the lookup finds nobody"
    run_wrk(port, "/healthz", 2, args.connections)  # warm up both routes
    run_wrk(port, "/cek", 2, args.connections, cookie, posts)
    return {
        "url": url,
        "folder": folder,
        "facts": facts,
        "server": server,
        "port": port,
        "cookie": cookie,
        "posts": posts,
        "health_runs": [],
        "lookup_runs": [],
    }


def measure_round(target: dict, args) -> None:
    """One /healthz and one /cek run with wrk, appended to target's runs."""
    port = target["port"]
    target["health_runs"].append(run_wrk(port, "/healthz", args.duration, args.connections))
    target["lookup_runs"].append(
        run_wrk(port, "/cek", args.duration, args.connections, target["cookie"], target["posts"])
    )


def median_of(runs: list[dict]) -> dict:
    """The median req/s, p50 and p99 of several wrk runs (each figure on its own)."""
    return {
        key: statistics.median(r[key] for r in runs) for key in ("rps", "p50", "p99", "errors")
    }


def stop(target: dict) -> None:
    target["server"].terminate()
    target["server"].wait()
    shutil.rmtree(target["folder"], ignore_errors=True)


def line(label: str, r: dict) -> str:
    return (
        f"  {label:<26} {r['rps']:8.0f} req/s   p50 {r['p50']:7.2f} ms   p99 {r['p99']:7.2f} ms"
        f"   non-2xx {r['errors']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=2_500_000)
    parser.add_argument("--floor-persons", type=int, default=25_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per city")
    parser.add_argument("--refresh-load", type=int, default=30, help="wrk seconds beside it")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--limiter", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13")
    )
    args = parser.parse_args()
    big = os.environ.get("CITY_DATABASE_URL", BIG_URL)
    small = os.environ.get("CITY_SMALL_DATABASE_URL", SMALL_URL)
    for url in (big, small):
        if not url.rsplit("/", 1)[1].startswith("nutera_city"):
            raise SystemExit(f"{url}: the bench wipes its databases; name them nutera_city*")
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start",
        flush=True,
    )
    floor = prepare(small, args.floor_persons, args)
    city = None
    try:
        city = prepare(big, args.persons, args)
        loads = []
        for n in range(args.rounds):
            for target in (floor, city) if n % 2 == 0 else (city, floor):
                measure_round(target, args)
            loads.append(os.getloadavg()[0])
        stop(floor)
        city["overview_ms"] = overview_time(city["port"], 7)
        city["double_dipping_ms"] = overview_time(city["port"], 5, "/sanding/ganda", "<main")
        city["refresh"] = refresh_under_load(
            city["port"], city["url"], city["folder"], city["facts"], city, args
        )
    finally:
        for target in (floor, city):
            if target is not None and target["server"].poll() is None:
                stop(target)
    report(floor, city, loads, args)


def report(floor: dict, city: dict, loads: list[float], args) -> None:
    """Print the figures: medians of the interleaved runs side by side, then the city's."""
    health = {"floor": median_of(floor["health_runs"]), "city": median_of(city["health_runs"])}
    lookup = {"floor": median_of(floor["lookup_runs"]), "city": median_of(city["lookup_runs"])}
    persons = {"floor": floor["facts"]["persons"], "city": city["facts"]["persons"]}
    print(
        f"\nKota Bandung, {city['facts']['kelurahan']} kelurahan, {persons['city']:,} residents "
        f"(floor: {persons['floor']:,}); gunicorn 2 sync workers each, wrk {args.connections} "
        f"connections, {args.duration} s a run, medians of {args.rounds} interleaved rounds; "
        f"load average after each round: {', '.join(f'{x:.1f}' for x in loads)}"
    )
    print(f"  {'':<12} {'residents':>10} {'/healthz req/s':>15} {'p99 ms':>8} "
          f"{'/cek req/s':>11} {'p50 ms':>8} {'p99 ms':>8}")  # fmt: skip
    for key in ("floor", "city"):
        print(
            f"  {key:<12} {persons[key]:>10,} {health[key]['rps']:>15,.0f} "
            f"{health[key]['p99']:>8.2f} {lookup[key]['rps']:>11,.0f} "
            f"{lookup[key]['p50']:>8.2f} {lookup[key]['p99']:>8.2f}"
        )
    for key, target in (("floor", floor), ("city", city)):
        runs = ", ".join(
            f"{h['rps']:.0f}/{c['rps']:.0f} (p99 {c['p99']:.1f})"
            for h, c in zip(target["health_runs"], target["lookup_runs"], strict=True)
        )
        print(f"  {key} runs, /healthz/cek req/s: {runs}")
    print(
        f"  lookup at city scale / at {persons['floor']:,} (target within 1.2x): "
        f"req/s {lookup['city']['rps'] / lookup['floor']['rps']:.2f}x, "
        f"p50 {lookup['city']['p50'] / lookup['floor']['p50']:.2f}x, "
        f"p99 {lookup['city']['p99'] / lookup['floor']['p99']:.2f}x; /healthz city/floor "
        f"req/s {health['city']['rps'] / health['floor']['rps']:.2f}x, "
        f"p99 {health['city']['p99'] / health['floor']['p99']:.2f}x"
    )
    ms = city["overview_ms"]
    print(
        f"  city overview /kota (dinas, {city['facts']['kelurahan']} rows): "
        f"p50 {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms (n={len(ms)})"
    )
    ms = city["double_dipping_ms"]
    print(
        f"  double-dipping report /sanding/ganda (dinas, whole city): "
        f"p50 {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms (n={len(ms)})"
    )
    refresh = city["refresh"]
    print(
        f"  weekly refresh of one kelurahan ({refresh['rows']:,} rows, 1% changed, import + "
        f"commit): {refresh['refresh_s']:.1f} s while /cek ran"
    )
    print(line("/cek POST during refresh", refresh["lookup"]))
    print(
        f"  lookup p99 during the refresh vs without: "
        f"{refresh['lookup']['p99'] / lookup['city']['p99']:.2f}x; load average at end "
        f"{os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
