"""Server time of the verification queue and the survey list with 50,000 surveys.

Usage: .venv/bin/python bench/surveys.py [SURVEYS]   (default 50000; SQLite unless DATABASE_URL)
"""

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from _common import scratch_app, summary, timed

from nutera.extensions import db
from nutera.models import Survey, SurveyMember, SurveyStatusEvent
from nutera.surveys.checks import period_of
from tests.factories import PASSWORD, make_kelurahan, make_kk, make_nik, make_user

TOTAL = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
STATUSES = (
    ["submitted"] * 30 + ["verified"] * 50 + ["returned"] * 10 + ["draft"] * 5 + ["rejected"] * 5
)
BATCH = 5_000

app = scratch_app()
rng = random.Random(3)
with app.app_context():
    kelurahan = make_kelurahan(db.session, "3273021003", "Tamansari", rts_per_rw=(6,) * 20)
    staff = make_user(db.session, "petugas", "staff", kelurahan)
    volunteers = [make_user(db.session, f"relawan{i}", "volunteer", kelurahan) for i in range(40)]
    rts = [rt for rw in kelurahan.rws for rt in rw.rts]
    for index, volunteer in enumerate(volunteers):
        volunteer.assigned_rts = rts[index * 3 : index * 3 + 3]
    db.session.commit()
    kelurahan_id, rt_ids = kelurahan.id, [rt.id for rt in rts]
    volunteer_ids, staff_id = [v.id for v in volunteers], staff.id

    started = time.perf_counter()
    now = datetime.now(UTC)
    period = period_of(date.today())
    for first in range(1, TOTAL + 1, BATCH):
        ids = range(first, min(first + BATCH, TOTAL + 1))
        surveys, members, events = [], [], []
        for survey_id in ids:
            status = rng.choice(STATUSES)
            submitted = now - timedelta(minutes=survey_id) if status != "draft" else None
            surveys.append(
                {
                    "id": survey_id,
                    "kelurahan_id": kelurahan_id,
                    "rt_id": rng.choice(rt_ids),
                    "volunteer_id": rng.choice(volunteer_ids),
                    "period": period,
                    "status": status,
                    "kk_number": make_kk(serial=survey_id),
                    "address": f"Jl. Bench {survey_id}",
                    "kode_pos": "40116",
                    "ownership": "milik",
                    "floor": "semen",
                    "wall": "tembok",
                    "roof": "genteng",
                    "water_source": "pdam",
                    "toilet": "sendiri",
                    "electricity_va": 900,
                    "member_count": 3,
                    "flag_count": rng.random() < 0.2,
                    "staff_note": "",
                    "submitted_at": submitted,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            for position, (relation, sex, year) in enumerate(
                (("kepala", "L", 1980), ("istri", "P", 1983), ("anak", "L", 2010))
            ):
                birth = date(year, 1 + survey_id % 12, 1 + survey_id % 28)
                members.append(
                    {
                        "survey_id": survey_id,
                        "position": position,
                        "nik": make_nik(birth, sex, serial=survey_id),
                        "has_ktp": True,
                        "name": f"WARGA {survey_id} {position}",
                        "relation": relation,
                        "sex": sex,
                        "birth_date": birth,
                        "occupation": "",
                        "is_asn_tni_polri": False,
                        "presence": "tinggal",
                        "mismatch_confirmed": False,
                    }
                )
            events.append(
                {
                    "survey_id": survey_id,
                    "user_id": volunteer_ids[0],
                    "status": "draft",
                    "note": "",
                    "at": now,
                }
            )
            if status != "draft":
                events.append(
                    {
                        "survey_id": survey_id,
                        "user_id": volunteer_ids[0],
                        "status": "submitted",
                        "note": "",
                        "at": now,
                    }
                )
        db.session.execute(sa.insert(Survey), surveys)
        db.session.execute(sa.insert(SurveyMember), members)
        db.session.execute(sa.insert(SurveyStatusEvent), events)
    db.session.commit()
    print(
        f"inserted {TOTAL:,} surveys with members and history in "
        f"{time.perf_counter() - started:.1f} s ({db.engine.dialect.name})"
    )

staff_client = app.test_client()
staff_client.post("/login", data={"username": "petugas", "password": PASSWORD})
volunteer_client = app.test_client()
volunteer_client.post("/login", data={"username": "relawan0", "password": PASSWORD})
yesterday = (date.today() - timedelta(days=1)).isoformat()

for label, client, path in [
    ("verification queue, first survey", staff_client, "/survei/verifikasi"),
    ("verification queue, survey 5,000", staff_client, "/survei/verifikasi?page=5000"),
    ("clean surveys for bulk approval", staff_client, "/survei/verifikasi/bersih"),
    ("survey list page 1", staff_client, "/survei/daftar"),
    ("survey list page 1,000", staff_client, "/survei/daftar?page=1000"),
    ("survey list: status + RW filter", staff_client, "/survei/daftar?status=submitted&rw=7"),
    (
        "survey list: volunteer + date filter",
        staff_client,
        f"/survei/daftar?volunteer={volunteer_ids[5]}&dari={yesterday}",
    ),
    ("volunteer: assignments and progress", volunteer_client, "/survei/"),
    ("volunteer: own survey list", volunteer_client, "/survei/daftar"),
]:
    assert client.get(path).status_code == 200, path  # warm up
    print(summary(label, timed(lambda client=client, path=path: client.get(path), 50)))

print(
    summary(
        "XLSX export of every survey",
        timed(lambda: staff_client.get("/survei/daftar.xlsx").get_data(), 1),
    )
)
