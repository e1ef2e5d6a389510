"""Sanding a recipient list against a city's population, with a known truth.

    .venv/bin/python bench/sanding.py [RESIDENTS [ROWS]]     # default 1,000,000 and 100,000
    DATABASE_URL=postgresql://... .venv/bin/python bench/sanding.py [RESIDENTS [ROWS]]

Builds a city of RESIDENTS residents in 5 kelurahan (bulk inserts), a recipient list of
ROWS rows of the first kelurahan with 1% one-digit NIK typos, 1% swapped adjacent digits,
2% name variants (Muhammad/M., Nur Hayati/Nurhayati, H./Hj., S.Pd, case), 1% deceased,
1% moved to another kelurahan, 1% not in the city, 0.5% duplicates and 0.5% double dipping
(the household already in PKH, set as excluding BPNT), then validates it through the
refresh workflow in a fresh process and prints: the floor (parsing the CSV and a plain
executemany of its rows into an unindexed table), the validation time and its ratio to the
floor, the precision of what is proposed for bulk confirmation, the recall of true
matches (linked by NIK, proposed, or in the review queue), the share of rows sent to
review, and the validating process's peak memory.
"""

import csv
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from _common import scratch_app

from nutera.extensions import db
from nutera.models import (
    AidProgram,
    Kelurahan,
    Person,
    ProgramExclusion,
    Refresh,
    Rt,
    Rw,
    SandingCandidate,
    SandingRow,
)
from nutera.refresh import services as refresh_services

KELURAHAN = 5
RWS, RTS = 10, 10
SOURCE = "DTKS BPNT"
FIRST = (
    "SITI AHMAD BUDI DEWI RINA AGUS YANTI DEDI ASEP EKO LINA TONO WATI IWAN SRI JOKO ANI "
    "HENDRA MAYA RUDI FITRI BAYU INDAH ARIF LESTARI YUSUF RATNA HADI PUTRI WAHYU DIAN ADI "
    "MUHAMMAD MUHAMMAD NURHAYATI NURAINI NURUL ABDUL FAJAR GILANG KARTIKA TAUFIK ENDANG"
).split()
MIDDLE = (
    "PUTRA PUTRI DWI TRI EKA SETIA NUR ADI SRI AYU BAGUS INDRA KURNIA CAHYA MEGA SURYA "
    "PERMANA WULAN RIZKI FAUZI HAYATI AMALIA FIRMAN ANDRI YULI RAHMA ZAHRA IKHSAN"
).split()
LAST = (
    "SANTOSO RAHAYU HIDAYAT KURNIAWAN SAPUTRA WIJAYA LESTARI NUGROHO PRATAMA SETIAWAN "
    "HASANAH SUSANTO GUNAWAN RAMADHAN SULISTYO MAULANA PERMATA HANDAYANI SURYADI FIRDAUS "
    "HALIM SIREGAR NASUTION LUBIS SIMANJUNTAK WIBOWO HARAHAP PURNOMO MULYADI SOFYAN"
).split()


def _name(rng: random.Random) -> str:
    parts = [rng.choice(FIRST), rng.choice(MIDDLE), rng.choice(LAST)]
    return " ".join(parts[: rng.choice((2, 3, 3))])


def _nik(district: str, born: date, sex: str, serial: int) -> str:
    day = born.day + (40 if sex == "P" else 0)
    return f"{district}{day:02d}{born:%m%y}{serial:04d}"


def _insert(connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    values = ", ".join([marker] * len(columns))
    connection.exec_driver_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})", rows
    )


def _regions(session) -> list[tuple[int, str, list[tuple[int, int, int]]]]:
    """(kelurahan id, district code, (RT id, RT number, RW number)s) of the city's kelurahan."""
    made = []
    for index in range(KELURAHAN):
        district = f"3273{index + 1:02d}"
        kelurahan = Kelurahan(
            code=f"{district}1001",
            name=f"Kelurahan {index + 1}",
            kecamatan=f"Kecamatan {index + 1}",
            kota="Kota Bandung",
            kode_pos="40116",
        )
        session.add(kelurahan)
        session.flush()
        rts = []
        for rw_number in range(1, RWS + 1):
            rw = Rw(kelurahan_id=kelurahan.id, number=rw_number)
            session.add(rw)
            session.flush()
            for rt_number in range(1, RTS + 1):
                rt = Rt(kelurahan_id=kelurahan.id, rw_id=rw.id, number=rt_number)
                session.add(rt)
                session.flush()
                rts.append((rt.id, rt_number, rw_number))
        made.append((kelurahan.id, district, rts))
    return made


def build_population(session, residents: int, rng: random.Random) -> list[dict]:
    """Insert the city's households and residents; returns each resident as a dict."""
    regions = _regions(session)
    connection = session.connection()
    now = datetime.now(UTC)
    serials: dict[tuple, int] = {}
    people: list[dict] = []
    households, persons = [], []
    household_id = person_id = 0
    per_kelurahan = residents // KELURAHAN
    for kelurahan_id, district, rts in regions:
        made = 0
        while made < per_kelurahan:
            household_id += 1
            rt_id, rt_number, rw_number = rng.choice(rts)
            kk = f"{district}{household_id:010d}"
            households.append(
                (
                    household_id,
                    kelurahan_id,
                    rt_id,
                    kk,
                    f"Jl. Bench {household_id}",
                    "40116",
                    now,
                    now,
                )
            )
            for _ in range(min(rng.choice((1, 2, 3, 4, 5)), per_kelurahan - made)):
                person_id += 1
                sex = rng.choice("LP")
                born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 80))
                key = (district, born, sex)
                serials[key] = serials.get(key, 0) + 1
                nik = _nik(district, born, sex, serials[key])
                status = "meninggal" if rng.random() < 0.012 else "hidup"
                name = _name(rng)
                persons.append(
                    (
                        person_id,
                        kelurahan_id,
                        household_id,
                        nik,
                        name,
                        sex,
                        born,
                        "anak",
                        status,
                        False,
                        True,
                        "tetap",
                        now,
                        now,
                    )
                )
                people.append(
                    {
                        "id": person_id,
                        "kelurahan_id": kelurahan_id,
                        "household_id": household_id,
                        "nik": nik,
                        "name": name,
                        "born": born,
                        "kk": kk,
                        "status": status,
                        "rt": str(rt_number),
                        "rw": str(rw_number),
                    }
                )
                made += 1
        if len(persons) > 50_000:
            _flush_population(connection, households, persons)
    _flush_population(connection, households, persons)
    return people


def _flush_population(connection, households: list, persons: list) -> None:
    _insert(
        connection,
        "household",
        [
            "id",
            "kelurahan_id",
            "rt_id",
            "kk_number",
            "address",
            "kode_pos",
            "created_at",
            "updated_at",
        ],
        households,
    )
    _insert(
        connection,
        "person",
        [
            "id",
            "kelurahan_id",
            "household_id",
            "nik",
            "name",
            "sex",
            "birth_date",
            "relation",
            "status",
            "is_asn_tni_polri",
            "has_ktp",
            "residence",
            "created_at",
            "updated_at",
        ],
        persons,
    )
    households.clear()
    persons.clear()


def name_variant(name: str, rng: random.Random) -> str:
    """The same name as an office might type it."""
    words = name.split()
    if words[0] == "MUHAMMAD":
        words[0] = rng.choice(("M.", "Moh.", "Muhamad", "Mochammad"))
    elif words[0].startswith("NUR") and len(words[0]) > 4 and words[0] != "NURUL":
        words[0] = "NUR " + words[0][3:]
    choice = rng.randrange(4)
    text = " ".join(words)
    if choice == 0:
        text = rng.choice(("H. ", "Hj. ", "Drs. ")) + text
    elif choice == 1:
        text = text + rng.choice((", S.Pd", ", S.E.", " S.Pd.I"))
    elif choice == 2:
        text = text.title()
    else:
        text = text.lower().replace(" ", "  ")
    return text


def _typo(nik: str, taken: set[str], rng: random.Random, swap: bool) -> str:
    while True:
        position = rng.randrange(15 if swap else 16)
        if swap:
            if nik[position] == nik[position + 1]:
                continue
            typo = nik[:position] + nik[position + 1] + nik[position] + nik[position + 2 :]
        else:
            digit = rng.choice([d for d in "0123456789" if d != nik[position]])
            typo = nik[:position] + digit + nik[position + 1 :]
        if typo not in taken:
            return typo


def build_list(
    people: list[dict], rows: int, rng: random.Random
) -> tuple[list[list[str]], list[tuple[str, str | None]], set[int]]:
    """The list's rows, the truth per row (case, true NIK) and households to enrol in PKH."""
    first = people[0]["kelurahan_id"]
    home = [p for p in people if p["kelurahan_id"] == first and p["status"] == "hidup"]
    dead = [p for p in people if p["kelurahan_id"] == first and p["status"] == "meninggal"]
    away = [p for p in people if p["kelurahan_id"] != first and p["status"] == "hidup"]
    taken = {p["nik"] for p in people}
    rng.shuffle(home)
    plan = [
        ("typo", 0.01),
        ("swap", 0.01),
        ("variant", 0.02),
        ("deceased", 0.01),
        ("moved", 0.01),
        ("outside", 0.01),
        ("duplicate", 0.005),
        ("double", 0.005),
    ]
    cases = [case for case, share in plan for _ in range(int(rows * share))]
    cases += ["exact"] * (rows - len(cases))
    rng.shuffle(cases)
    listed, truth, enrol = [], [], set()
    pool = iter(home)

    def line(nik, person, name):
        born = f"{person['born']:%d-%m-%Y}"
        return [nik, person["kk"], name, born, "Jl. Bench", person["rt"], person["rw"]]

    for case in cases:
        if case == "duplicate" and listed:
            copy = rng.randrange(len(listed))
            listed.append(list(listed[copy]))
            truth.append(("duplicate", truth[copy][1]))
            continue
        if case == "deceased":
            person = dead.pop()
        elif case == "moved":
            person = away.pop()
        else:
            person = next(pool)
        nik, name = person["nik"], person["name"]
        if case in ("typo", "swap"):
            nik = _typo(nik, taken, rng, case == "swap")
        elif case == "variant":
            name = name_variant(name, rng)
        elif case == "outside":
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
            nik = _nik("327701", born, "L", rng.randrange(1, 9999))
            listed.append([nik, "", _name(rng), f"{born:%d-%m-%Y}", "Jl. Luar", "1", "1"])
            truth.append(("outside", None))
            continue
        elif case == "double":
            enrol.add(person["household_id"])
        listed.append(line(nik, person, name))
        truth.append((case, person["nik"]))
    return listed, truth, enrol


def write_list(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["NIK", "NO KK", "NAMA", "TGL LAHIR", "ALAMAT", "RT", "RW"])
        writer.writerows(rows)


def _floor(path: Path, url: str) -> float:
    """Seconds to parse the CSV and executemany its rows into an unindexed table."""
    engine = sa.create_engine(url)
    started = time.perf_counter()
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [tuple(r) for r in csv.reader(handle, delimiter=";")][1:]
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TEMPORARY TABLE floor_rows (a TEXT, b TEXT, c TEXT, d TEXT, e TEXT, f TEXT, "
            "g TEXT)"
        )
        _insert(connection, "floor_rows", list("abcdefg"), rows)
    engine.dispose()
    return time.perf_counter() - started


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: reset by exec, unlike ru_maxrss, which a
    spawned child inherits from the parent it was forked from)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _floor_process(url: str, path: str, out) -> None:
    """In a fresh process: the floor's seconds."""
    out.put(_floor(Path(path), url))


def _validate(url: str, folder: str, refresh_id: int, out) -> None:
    """In a fresh process: the validation's seconds, and the process's peak memory with
    and without the work (the app's imports alone take about 130 MB)."""
    before = _peak_mb()
    from nutera import create_app

    app = create_app(
        {"SECRET_KEY": "bench", "INSTANCE_PATH": folder, "SQLALCHEMY_DATABASE_URI": url}
    )
    with app.app_context():
        refresh = db.session.get(Refresh, refresh_id)
        started = time.perf_counter()
        refresh_services.analyse(db.session, refresh)
        db.session.commit()
        seconds = time.perf_counter() - started
    out.put((seconds, _peak_mb(), before))


def _revalidate(url: str, folder: str, refresh_id: int, out) -> None:
    """In a fresh process: bulk-confirm the proposals and enrol the valid rows (review work
    that must survive), then the seconds of validating the list again."""
    from nutera import create_app
    from nutera.audit import Actor
    from nutera.sanding import services as sanding

    app = create_app(
        {"SECRET_KEY": "bench", "INSTANCE_PATH": folder, "SQLALCHEMY_DATABASE_URI": url}
    )
    with app.app_context():
        refresh = db.session.get(Refresh, refresh_id)
        now = datetime.now(UTC)
        sanding.bulk_confirm(db.session, refresh, Actor(None), now, sanding.Thresholds())
        program = db.session.scalar(sa.select(AidProgram).where(AidProgram.code == "BPNT"))
        sanding.enrol_valid(db.session, refresh, program, Actor(None), date(2026, 12, 1))
        db.session.commit()
        started = time.perf_counter()
        refresh_services.analyse(db.session, refresh)
        db.session.commit()
        seconds = time.perf_counter() - started
        out.put((seconds, refresh.counts.get("ulang", {})))


def measure(truth: list[tuple[str, str | None]], refresh_id: int) -> dict:
    """Precision of bulk proposals, recall of true matches, review share, status counts."""
    person_nik = dict(db.session.execute(sa.select(Person.id, Person.nik)).all())
    rows = db.session.execute(
        sa.select(SandingRow.id, SandingRow.person_id, SandingRow.status, SandingRow.review)
        .where(SandingRow.refresh_id == refresh_id)
        .order_by(SandingRow.sheet, SandingRow.row_number)
    ).all()
    candidates: dict[int, list[int]] = {}
    for row_id, person_id in db.session.execute(
        sa.select(SandingCandidate.row_id, SandingCandidate.person_id)
        .join(SandingRow, SandingRow.id == SandingCandidate.row_id)
        .where(SandingRow.refresh_id == refresh_id)
    ):
        candidates.setdefault(row_id, []).append(person_id)
    proposed = correct = findable = found = review = 0
    by_case: dict[str, list[int]] = {}
    for (row_id, person_id, status, state), (case, nik) in zip(rows, truth, strict=True):
        linked = {person_nik.get(person_id)} | {person_nik[c] for c in candidates.get(row_id, [])}
        if state == "usulan":
            proposed += 1
            correct += person_nik[candidates[row_id][0]] == nik
        if state == "antre":
            review += 1
        hit = nik is not None and (nik in linked or (case == "duplicate" and status == "ganda"))
        if nik is not None:
            findable += 1
            found += hit
        tally = by_case.setdefault(case, [0, 0])
        tally[0] += 1
        tally[1] += hit or (nik is None and status == "luar_kota")
    return {
        "precision": correct / proposed if proposed else 1.0,
        "proposed": proposed,
        "recall": found / findable if findable else 1.0,
        "review_share": review / len(rows),
        "by_case": by_case,
    }


def main() -> None:
    residents = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    rng = random.Random(20261201)
    app = scratch_app()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    folder = app.config["INSTANCE_PATH"] if "INSTANCE_PATH" in app.config else tempfile.mkdtemp()
    print(f"database: {url.split('@')[-1]}; {residents:,} residents, {rows:,} list rows")
    with app.app_context():
        started = time.perf_counter()
        people = build_population(db.session, residents, rng)
        listed, truth, enrol = build_list(people, rows, rng)
        first = people[0]["kelurahan_id"]
        for code in ("BPNT", "PKH"):
            db.session.add(
                AidProgram(kelurahan_id=first, code=code, name=code, target="household")
            )
        db.session.add(ProgramExclusion(code_a="BPNT", code_b="PKH"))
        db.session.flush()
        pkh = db.session.scalar(sa.select(AidProgram.id).where(AidProgram.code == "PKH"))
        now = datetime.now(UTC)
        _insert(
            db.session.connection(),
            "enrollment",
            [
                "kelurahan_id",
                "program_id",
                "household_id",
                "period_start",
                "status",
                "status_reason",
                "created_at",
                "updated_at",
            ],
            [(first, pkh, h, date(2026, 1, 1), "aktif", "", now, now) for h in enrol],
        )
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            with db.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        print(f"city built in {time.perf_counter() - started:.1f} s")
        del people
        path = Path(folder) / "daftar.csv"
        write_list(path, listed)
        with open(path, "rb") as handle:
            upload = refresh_services.start_upload(
                db.session,
                first,
                None,
                SOURCE,
                handle,
                "daftar.csv",
                folder,
                kind="penerima",
                program="BPNT",
            )
        refresh = upload.refresh
        refresh_services.confirm_mapping(db.session, refresh, refresh.mapping)
        db.session.commit()
        refresh_id = refresh.id
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    worker = context.Process(target=_floor_process, args=(url, str(path), out))
    worker.start()
    floor = out.get()
    worker.join()
    worker = context.Process(target=_validate, args=(url, folder, refresh_id, out))
    worker.start()
    seconds, peak, before = out.get()
    worker.join()
    with app.app_context():
        figures = measure(truth, refresh_id)
        counts = db.session.get(Refresh, refresh_id).counts["sanding"]
    worker = context.Process(target=_revalidate, args=(url, folder, refresh_id, out))
    worker.start()
    again, carried = out.get()
    worker.join()
    print(f"floor (parse CSV + executemany {rows:,} rows)   {floor:6.2f} s")
    print(
        f"validation of {rows:,} rows                  {seconds:6.2f} s   "
        f"({rows / seconds:,.0f} rows/s, {seconds / floor:.1f}x the floor)"
    )
    print(
        f"auto-confirm precision                    {figures['precision']:.2%} "
        f"of {figures['proposed']:,} proposed"
    )
    print(f"recall of true matches                    {figures['recall']:.2%}")
    print(f"review share                              {figures['review_share']:.2%}")
    print(
        f"peak memory of the validating process     {peak:6.0f} MB "
        f"({before:.0f} MB of it before the validation started)"
    )
    print(
        f"validation again after bulk confirm + enrol {again:6.2f} s   "
        f"({', '.join(f'{k} {v:,}' for k, v in carried.items()) or 'nothing carried'})"
    )
    print("statuses: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(
        "found per case: "
        + ", ".join(
            f"{case} {hit:,}/{total:,}"
            for case, (total, hit) in sorted(figures["by_case"].items())
        )
    )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
