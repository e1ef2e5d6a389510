"""Weekly refresh at city scale: rows/s for first import, identical re-import, 1% changed.

    .venv/bin/python bench/refresh.py [ROWS]          # default 1,000,000; SQLite
    DATABASE_URL=postgresql://... .venv/bin/python bench/refresh.py [ROWS]   # and PostgreSQL

Prints, per database (SQLite, then PostgreSQL when DATABASE_URL is set, each in its own
process): the floor (csv parsing + plain executemany into an unindexed table), the first
import (parse, validate, match, commit), the identical file (recognised by SHA-256), the
same content re-saved with CRLF line ends (recognised by the digest of its mapped cells,
read once and not checked), the 1%-changed file (incremental: only the families with a
changed row are staged), each with its ratio to the floor and the peak memory so far; then
one line per target of issue #19 and the machine's load average.
REFRESH_BENCH_FILES=FOLDER reuses the files an earlier run generated (printed on the first
line).
"""

import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa  # noqa: E402
from _common import scratch_app

from nutera.audit import Actor  # noqa: E402
from nutera.extensions import db  # noqa: E402
from nutera.models import AidProgram, Kelurahan, Rt, Rw  # noqa: E402
from nutera.refresh import services  # noqa: E402

RWS, RTS = 40, 25
HEADER = "NO;NIK;NO KK;NAMA;JENIS KELAMIN;TGL LAHIR;ALAMAT;RT;RW;BANSOS\n"
FIRST = [
    "SITI",
    "BUDI",
    "AHMAD",
    "DEWI",
    "RINA",
    "AGUS",
    "YANTI",
    "DEDI",
    "NUR",
    "ASEP",
    "EKO",
    "LINA",
    "TONO",
    "WATI",
    "IWAN",
    "SRI",
    "JOKO",
    "ANI",
    "HENDRA",
    "MAYA",
]
LAST = [
    "SANTOSO",
    "RAHAYU",
    "HIDAYAT",
    "KURNIAWAN",
    "LESTARI",
    "SETIAWAN",
    "WIJAYA",
    "PERMANA",
    "SUHENDAR",
    "MULYANI",
    "NURHAYATI",
    "SAPUTRA",
    "FAUZI",
    "MARLINA",
]
STREETS = ["Jl. Tamansari", "Gg. Sukamaju", "Jl. Cihampelas", "Gg. Pelesiran", "Jl. Siliwangi"]
PROGRAMS = ["", "", "", "", "", "PKH", "BPNT", "BST", "PKH,BPNT"]
DISTRICTS = ["327301", "327302", "327303", "327304", "327305", "327306", "327307", "327308"]


def _rows(count: int, rng: random.Random):
    """(nik, kk, name, sex, born, address, rt, rw, programs) of a synthetic city."""
    born0 = date(1940, 1, 1)
    serial = 0
    kk_serial = 0
    while serial < count:
        kk_serial += 1
        district = DISTRICTS[kk_serial % len(DISTRICTS)]
        kk = f"{district}0106{kk_serial // 10_000 % 100:02d}{kk_serial % 10_000 or 1:04d}"
        rt, rw = rng.randint(1, RTS), rng.randint(1, RWS)
        address = f"{rng.choice(STREETS)} No. {rng.randint(1, 300)}"
        programs = rng.choice(PROGRAMS)
        for _ in range(rng.randint(1, 6)):
            if serial >= count:
                break
            serial += 1
            born = born0 + timedelta(days=rng.randint(0, 30_000))
            sex = "L" if rng.random() < 0.5 else "P"
            day = born.day + (40 if sex == "P" else 0)
            nik = f"{district}{day:02d}{born:%m%y}{serial % 10_000 or 1:04d}"
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            yield [nik, kk, name, sex, born.strftime("%d/%m/%Y"), address, rt, rw, programs]


def generate(folder: Path, count: int) -> tuple[Path, Path, Path]:
    """The extract, the same content re-saved with CRLF, and a version with 1% changed."""
    rng = random.Random(40116)
    first, resaved, changed = (folder / n for n in ("kota.csv", "kota-crlf.csv", "kota-1pct.csv"))
    seen: set[str] = set()
    with (
        open(first, "w", encoding="utf-8-sig") as a,
        open(resaved, "w", encoding="utf-8-sig", newline="\r\n") as b,
        open(changed, "w", encoding="utf-8-sig") as c,
    ):
        for handle in (a, b, c):
            handle.write("DATA TERPADU KESEJAHTERAAN SOSIAL\nKOTA UJI;;;;\n" + HEADER)
        for number, row in enumerate(_rows(count, rng), start=1):
            if row[0] in seen:
                row[0] = row[0][:12] + "0000"  # a colliding synthetic NIK becomes a bad row
            seen.add(row[0])
            if number % 400 == 0:  # a few thousand bad rows of the usual kinds
                row[[0, 1, 2, 4][number // 400 % 4]] = ["3.27302E+15", "32730A", "", "31/02/1980"][
                    number // 400 % 4
                ]
            line = f"{number};" + ";".join(str(v) for v in row) + "\n"
            a.write(line)
            b.write(line)
            if number % 100 == 7:
                row[2] = row[2] + " PUTRA"
                row[5] = row[5] + " RT"
                line = f"{number};" + ";".join(str(v) for v in row) + "\n"
            c.write(line)
        for handle in (a, b, c):
            handle.write(";;;JUMLAH;;;;;;\n")
    return first, resaved, changed


def floor(app, path: Path) -> tuple[float, float]:
    """csv parsing + executemany into an unindexed table: the least any import can cost.
    (wall seconds, this process's CPU seconds)"""
    import csv

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS bench_floor"))
            conn.execute(
                sa.text(
                    "CREATE TABLE bench_floor (nik TEXT, kk TEXT, name TEXT, "
                    "sex TEXT, born TEXT, address TEXT, rt TEXT, rw TEXT, prog TEXT)"
                )
            )
        started, cpu = time.perf_counter(), time.process_time()
        raw = db.engine.raw_connection()
        cursor = raw.cursor()
        marker = "?" if db.engine.dialect.name == "sqlite" else "%s"
        sql = f"INSERT INTO bench_floor VALUES ({', '.join([marker] * 9)})"
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = csv.reader(handle, delimiter=";")
            for _ in range(3):
                next(rows)
            batch = []
            for row in rows:
                batch.append(row[1:10])
                if len(batch) == 10_000:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
        raw.commit()
        raw.close()
        return time.perf_counter() - started, time.process_time() - cpu


def run_import(app, path: Path, kelurahan_id: int, source: str = "Kota") -> tuple[float, dict]:
    """Upload -> analyse -> commit, timed end to end, as `flask refresh import --commit` does;
    a file identical to the last one (same bytes, or same content) stops there."""
    with app.app_context():
        started = time.perf_counter()
        refresh, same = services.open_upload(
            db.session, kelurahan_id, None, source, path, path.name
        )
        if same is not None:
            db.session.commit()
            return time.perf_counter() - started, {"identical": True}
        counts = services.analyse(db.session, refresh)
        db.session.commit()
        if not counts["no_change"]:
            services.apply(db.session, refresh, Actor(None, "bench"))
            db.session.commit()
        return time.perf_counter() - started, counts


def seed(app) -> int:
    with app.app_context():
        kelurahan = Kelurahan(
            code="3273021003", name="Kota Uji", kecamatan="-", kota="Bandung", kode_pos="40116"
        )
        db.session.add(kelurahan)
        db.session.flush()
        for rw_number in range(1, RWS + 1):
            rw = Rw(kelurahan_id=kelurahan.id, number=rw_number)
            db.session.add(rw)
            db.session.flush()
            db.session.execute(
                sa.insert(Rt),
                [
                    {"kelurahan_id": kelurahan.id, "rw_id": rw.id, "number": n}
                    for n in range(1, RTS + 1)
                ],
            )
        for code in ("PKH", "BPNT", "BST"):
            db.session.add(
                AidProgram(
                    kelurahan_id=kelurahan.id,
                    code=code,
                    name=code,
                    target="household",
                    description="",
                )
            )
        db.session.commit()
        return kelurahan.id


def scratch_url() -> str:
    """DATABASE_URL in the form SQLAlchemy wants."""
    url = os.environ["DATABASE_URL"]
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith("postgres") else url


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process so far (a forked child starts at zero)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _import_child(app, path: Path, kelurahan_id: int, results) -> None:
    with app.app_context():
        db.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    seconds, counts = run_import(app, path, kelurahan_id)
    results.put((seconds, counts, peak_mb(), cpu_seconds()))


def import_in_child(app, path: Path, kelurahan_id: int) -> tuple[float, dict, float, float]:
    """run_import in a forked child: its peak memory is that import's (as in a worker
    process), not the largest of every import before it."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_import_child, args=(app, path, kelurahan_id, results))
    child.start()
    found = results.get()
    child.join()
    return found


def run_database(url: str, files: tuple[Path, Path, Path], count: int, results) -> None:
    """Every case on one database, in a child process (its own peak memory); figures go to
    results as {case: (seconds, peak MB)}."""
    first, resaved, changed = files
    database = tempfile.mkdtemp(prefix="refresh-bench-db-", dir=first.parent)
    app = scratch_app(INSTANCE_PATH=database, SQLALCHEMY_DATABASE_URI=url)
    kelurahan_id = seed(app)
    name = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0].split("+")[0]
    print(f"database: {name}")
    # The floor is measured three times between the cases (before the first import, before
    # the 1%-changed file, after it) and the median taken: on a shared machine one
    # measurement can fall in a quiet or a busy moment that the imports do not share.
    # CPU seconds beside wall seconds: on a shared machine the wall time of the import
    # suffers more from other load than the floor's does; SQLite's work is all in-process
    # (PostgreSQL's server CPU is not counted, so its CPU ratio is not comparable).
    # (Neither counts waiting for the disk: the wall ratio stays the target's.)
    wall, cpu = floor(app, first)
    floors, floor_cpus = [wall], [cpu]
    print(
        f"{'floor (csv + executemany, unindexed)':<44} {floors[0]:7.1f} s  "
        f"{count / floors[0]:>9,.0f} rows/s  cpu {floor_cpus[0]:5.1f} s"
    )
    figures = {}
    cpus = {}
    for key, label, path in (
        ("first", "first import (parse, validate, match, commit)", first),
        ("identical", "identical file (SHA-256)", first),
        ("resaved", "same content re-saved (content digest)", resaved),
        ("changed", "1% changed (incremental)", changed),
    ):
        if key == "changed":
            wall, cpu = floor(app, first)
            floors.append(wall)
            floor_cpus.append(cpu)
        seconds, counts, peak, cpu = import_in_child(app, path, kelurahan_id)
        figures[key] = (seconds, peak)
        cpus[key] = cpu
        summary = (
            "identical: tidak ada perubahan"
            if counts.get("identical")
            else (
                f"rejected {counts['rejected']:,}, new {counts['persons_new']:,}, "
                f"changed {counts['persons_changed']:,}, unchanged rows "
                f"{counts.get('unchanged', 0):,}"
            )
        )
        print(
            f"{label:<44} {seconds:7.1f} s  {count / seconds:>9,.0f} rows/s  "
            f"peak {peak:4.0f} MB  cpu {cpu:5.1f} s   {summary}"
        )
    wall, cpu = floor(app, first)
    floors.append(wall)
    floor_cpus.append(cpu)
    bare = sorted(floors)[1]
    bare_cpu = sorted(floor_cpus)[1]
    figures["floor"] = (bare, 0.0)
    measured = ", ".join(f"{f:.1f}" for f in floors)
    print(f"{'floor, median of 3':<44} {bare:7.1f} s  (measured {measured} s; ratios use it)")
    print(f"{'floor CPU, median of 3':<44} {bare_cpu:7.1f} s")
    for key in ("first", "changed"):
        print(
            f"  {key + ' / floor':<42} {figures[key][0] / bare:7.2f} x"
            f"   (CPU {cpus[key] / bare_cpu:5.2f} x)"
        )
    results.put((name, figures))


TARGETS = (  # (case, database, most times its floor)
    ("first", "sqlite", 3.5),
    ("changed", "sqlite", 1.5),
    ("first", "postgresql", 2.0),
    ("changed", "postgresql", 1.5),
)
LABELS = {"first": "refresh first import / floor", "changed": "refresh 1% changed / floor"}
PEAK_TARGET_MB = 500


def report(count: int, found: dict) -> None:
    """One line per target of issue #19, with its ratio to the floor of the same run."""
    print(f"\ntargets at {count:,} rows (ratios to the floor measured in the same run):")
    for case, database, most in TARGETS:
        if database not in found:
            continue
        seconds, _ = found[database][case]
        ratio = seconds / found[database]["floor"][0]
        verdict = "met" if ratio <= most else "NOT met"
        print(
            f"  {LABELS[case] + ', ' + database:<48} {ratio:5.2f}x  (target <= {most}x)  {verdict}"
        )
    peak = max(mb for figures in found.values() for _, mb in figures.values())
    verdict = "met" if peak < PEAK_TARGET_MB else "NOT met"
    print(
        f"  {'peak memory of any refresh':<48} {peak:5.0f} MB (target < {PEAK_TARGET_MB} MB)"
        f"  {verdict}"
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    reuse = os.environ.get("REFRESH_BENCH_FILES")  # a folder from an earlier run, same ROWS
    folder = Path(reuse) if reuse else Path(tempfile.mkdtemp(prefix="nutera-refresh-bench-"))
    started = time.perf_counter()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not reuse:
        # Generated in a child process so its bookkeeping does not count in our peak memory.
        process = multiprocessing.Process(target=generate, args=(folder, count))
        process.start()
        process.join()
    files = tuple(folder / n for n in ("kota.csv", "kota-crlf.csv", "kota-1pct.csv"))
    print(
        f"{'reused' if reuse else 'generated'} {count:,} rows x 3 files in "
        f"{time.perf_counter() - started:.1f} s ({files[0].stat().st_size / 1e6:.0f} MB each) "
        f"in {folder}"
    )
    urls = [f"sqlite:///{tempfile.mkdtemp(prefix='refresh-bench-sqlite-', dir=folder)}/b.db"]
    if os.environ.get("DATABASE_URL"):
        urls.append(scratch_url())
    results = multiprocessing.Queue()
    found = {}
    for url in urls:
        process = multiprocessing.Process(target=run_database, args=(url, files, count, results))
        process.start()
        name, figures = results.get()
        process.join()
        found[name] = figures
    report(count, found)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
