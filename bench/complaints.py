"""Server time of the complaint pages, with N complaints in one kelurahan (default 20,000).

Usage: .venv/bin/python bench/complaints.py [N]
"""

import io
import random
import sys
from datetime import date, timedelta

import sqlalchemy as sa
from _common import scratch_app, summary, timed
from PIL import Image

from nutera.complaints.services import new_code
from nutera.extensions import db
from nutera.models import Complaint, Rt
from tests import factories

TOTAL = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
app = scratch_app(TESTING=True)
with app.app_context():
    kelurahan = factories.make_kelurahan(
        db.session, "3273021003", "Tamansari", rts_per_rw=(8,) * 20
    )
    factories.make_user(db.session, "petugas", "staff", kelurahan)
    rt_ids = list(db.session.scalars(sa.select(Rt.id)))
    rng = random.Random(6)
    statuses = ["baru", "terverifikasi", "diproses", "dijawab", "selesai", "ditolak"]
    today = date.today()
    rows = []
    for n in range(TOTAL):
        received = today - timedelta(days=rng.randint(0, 365))
        rows.append(
            {
                "code": new_code(),
                "kelurahan_id": kelurahan.id,
                "rt_id": rng.choice(rt_ids),
                "category": rng.choice(
                    ["tidak_terima", "sanggah", "usul", "data_salah", "petugas"]
                ),
                "description": "Uraian pengaduan uji " * 10,
                "subject_name": "WARGA UJI",
                "subject_address": "",
                "reporter_name": "",
                "reporter_phone": "",
                "anonymous": n % 3 == 0,
                "confidential": n % 5 == 0,
                "status": rng.choice(statuses),
                "reject_reason": "",
                "verify_due": received + timedelta(days=5),
                "answer_due": received + timedelta(days=12),
            }
        )
    for start in range(0, TOTAL, 5000):
        db.session.execute(sa.insert(Complaint), rows[start : start + 5000])
    db.session.commit()
    some_code = rows[TOTAL // 2]["code"]
    some_id = db.session.scalar(sa.select(Complaint.id).where(Complaint.code == some_code))

photo = io.BytesIO()
Image.effect_noise((1600, 1200), 60).convert("RGB").save(photo, "JPEG", quality=90)
anonymous = app.test_client()
staff = app.test_client()
staff.post("/login", data={"username": "petugas", "password": factories.PASSWORD})


def file_one(with_photo: bool = False) -> None:
    anonymous.get("/pengaduan")
    data = {
        "category": "lainnya",
        "description": "Lampu jalan di gang kami mati seminggu.",
        "captcha": app.config["LAST_CAPTCHA_ANSWER"],
        "website": "",
    }
    if with_photo:
        data["photos"] = [(io.BytesIO(photo.getvalue()), "foto.jpg")]
    response = anonymous.post("/pengaduan", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.status_code


print(f"{TOTAL:,} complaints in one kelurahan")
for label, client, path in [
    ("public: complaint form (captcha image)", anonymous, "/pengaduan"),
    ("public: status page by code", anonymous, f"/pengaduan/{some_code}"),
    ("staff: queue page 1", staff, "/meja-pengaduan"),
    ("staff: queue open + overdue", staff, "/meja-pengaduan?status=terbuka&terlambat=1"),
    (
        "staff: queue RW 7, sanggah, > 30 days",
        staff,
        "/meja-pengaduan?rw=7&kategori=sanggah&umur=30",
    ),
    ("staff: queue page 300", staff, "/meja-pengaduan?page=300"),
    ("staff: one complaint", staff, f"/meja-pengaduan/{some_id}"),
    ("staff: dashboard (open/overdue counts)", staff, "/dasbor"),
]:
    assert client.get(path).status_code == 200, path
    print(summary(label, timed(lambda client=client, path=path: client.get(path), 100)))
print(summary("public: file a complaint (GET+POST)", timed(file_one, 50)))
print(summary("public: file with a 1600 px photo", timed(lambda: file_one(True), 20)))
