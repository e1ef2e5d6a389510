"""Time to compute every fairness indicator: a kelurahan of 25,000 residents (the demo) and a
city of 1,000,000 (40 copies of it). Targets on SQLite: under 1 s and under 20 s.

    .venv/bin/python bench/equity.py [--copies 40]
"""

import argparse
import time

import sqlalchemy as sa
from _common import scratch_app

from nutera.demo.services import seed_demo
from nutera.equity.indicators import city_indicators, local_today, program_indicators
from nutera.extensions import db
from nutera.models import Kelurahan, Person
from nutera.programs.services import install_defaults
from nutera.timeutil import utcnow


def _copy_kelurahan(copy: int, sizes: dict[str, int]) -> None:
    """Another kelurahan with the demo's RWs, RTs, households, persons and enrolments.

    Ids of the demo are 1..n in each table, so copy k's ids are shifted by k x n."""
    conn = db.session.connection()
    code = f"3273{copy:06d}"
    conn.execute(
        sa.text(
            "INSERT INTO kelurahan (code, name, kecamatan, kota, kode_pos)"
            " SELECT :code, 'Salinan ' || :copy, kecamatan, kota, kode_pos"
            " FROM kelurahan WHERE id = 1"
        ),
        {"code": code, "copy": copy},
    )
    k = db.session.scalar(sa.select(Kelurahan.id).where(Kelurahan.code == code))
    shift = {name: (k - 1) * n for name, n in sizes.items()}
    conn.execute(
        sa.text(
            "INSERT INTO rw (id, kelurahan_id, number) SELECT id + :s, :k, number FROM rw"
            " WHERE kelurahan_id = 1"
        ),
        {"s": shift["rw"], "k": k},
    )
    conn.execute(
        sa.text(
            "INSERT INTO rt (id, kelurahan_id, rw_id, number) SELECT id + :s, :k, rw_id + :w,"
            " number FROM rt WHERE kelurahan_id = 1"
        ),
        {"s": shift["rt"], "k": k, "w": shift["rw"]},
    )
    prefix = f"{copy + 40:02d}"  # never 32, the demo's province
    columns = (
        "address, kode_pos, ownership, floor, wall, roof, water_source, toilet, electricity_va,"
        " desil, verified_at, refresh_confirmed_at, created_at, updated_at"
    )
    conn.execute(
        sa.text(
            f"INSERT INTO household (id, kelurahan_id, rt_id, kk_number, {columns})"
            f" SELECT id + :s, :k, rt_id + :t, :p || substr(kk_number, 3), {columns}"
            " FROM household WHERE kelurahan_id = 1"
        ),
        {"s": shift["household"], "k": k, "t": shift["rt"], "p": prefix},
    )
    person_columns = (
        "name, sex, birth_date, relation, status, occupation, monthly_income, disability,"
        " is_asn_tni_polri, has_ktp, residence, maternity, disability_severity, in_school,"
        " created_at, updated_at"
    )
    conn.execute(
        sa.text(
            f"INSERT INTO person (id, kelurahan_id, household_id, nik, {person_columns})"
            f" SELECT id + :s, :k, household_id + :h, :p || substr(nik, 3), {person_columns}"
            " FROM person WHERE kelurahan_id = 1"
        ),
        {"s": shift["person"], "k": k, "h": shift["household"], "p": prefix},
    )
    conn.execute(
        sa.text(
            "INSERT INTO aid_program (kelurahan_id, code, name, description, target, active,"
            " created_at, updated_at) SELECT :k, code, name, description, target, active,"
            " created_at, updated_at FROM aid_program WHERE kelurahan_id = 1"
        ),
        {"k": k},
    )
    conn.execute(
        sa.text(
            "INSERT INTO enrollment (kelurahan_id, program_id, household_id, collector_id,"
            " period_start, status, status_reason, created_at, updated_at)"
            " SELECT :k, p2.id, e.household_id + :h, e.collector_id + :s, e.period_start,"
            " e.status, e.status_reason, e.created_at, e.updated_at FROM enrollment e"
            " JOIN aid_program p1 ON p1.id = e.program_id"
            " JOIN aid_program p2 ON p2.kelurahan_id = :k AND p2.code = p1.code"
            " WHERE e.kelurahan_id = 1"
        ),
        {"k": k, "h": shift["household"], "s": shift["person"]},
    )
    install_defaults(db.session, db.session.get(Kelurahan, k))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=40)
    args = parser.parse_args()
    app = scratch_app()
    with app.app_context():
        started = time.perf_counter()
        seed_demo(db.session)
        db.session.commit()
        print(f"demo seed: {time.perf_counter() - started:.1f} s")
        now = utcnow()
        today = local_today(now)
        residents = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
        for attempt in range(3):
            started = time.perf_counter()
            indicators = program_indicators(db.session, 1, today, now)
            elapsed = time.perf_counter() - started
            print(
                f"kelurahan, {residents:,} residents: all indicators of {len(indicators)} programs"
                f" x {len(indicators[0].rws)} RWs in {elapsed:.3f} s (run {attempt + 1})"
            )
        for i in indicators:
            t = i.total
            print(
                f"  {i.code:<10} eligible {t.eligible:>5}  recipients {t.recipients:>5}  "
                f"coverage {t.coverage:.1%}  exclusion {t.exclusion_error:.1%}  "
                f"inclusion {t.inclusion_error:.1%}  gini {i.gini:.3f}  unknown {t.unknown}"
            )
        sizes = {
            name: db.session.scalar(sa.text(f"SELECT max(id) FROM {name}"))
            for name in ("rw", "rt", "household", "person")
        }
        started = time.perf_counter()
        for copy in range(2, args.copies + 1):
            _copy_kelurahan(copy, sizes)
        db.session.commit()
        db.session.execute(sa.text("ANALYZE")) if db.engine.dialect.name == "sqlite" else None
        residents = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
        print(f"city built by copies in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        city = city_indicators(db.session, today, now)
        elapsed = time.perf_counter() - started
        print(
            f"city, {residents:,} residents in {len(city)} kelurahan: all indicators in"
            f" {elapsed:.2f} s"
        )


if __name__ == "__main__":
    main()
