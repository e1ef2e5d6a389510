"""Time and memory of the event report PDF (berita acara) for 1,000 recipients who all received.

Usage: .venv/bin/python bench/distribution_report.py [RECIPIENTS]   (default 1000)
Each handover has its own photo and signature stored through nutera.storage, as in production;
the report embeds the pre-scaled JPEG thumbnails made at capture time.
"""

import io
import random
import resource
import sys
import time
import tracemalloc
from datetime import date

import sqlalchemy as sa
from _common import scratch_app
from PIL import Image, ImageDraw

from nutera.distribution.pdfs import report_pdf
from nutera.distribution.queries import kelurahan_name, progress, report_rows
from nutera.distribution.services import HandoverInput, create_event, record_handover
from nutera.extensions import db
from nutera.models import (
    AidProgram,
    DistributionEvent,
    DistributionRecipient,
    Enrollment,
    Household,
    Kelurahan,
    Person,
    Rt,
    Rw,
    User,
)

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
rng = random.Random(7)


def photo() -> io.BytesIO:
    image = Image.new("RGB", (800, 600), tuple(rng.randrange(256) for _ in range(3)))
    ImageDraw.Draw(image).rectangle((200, 150, 600, 450), fill=(240, 220, 200))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    out.seek(0)
    return out


def signature() -> io.BytesIO:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    points = [(40 + i * 55, rng.randrange(30, 170)) for i in range(10)]
    ImageDraw.Draw(image).line(points, fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    out.seek(0)
    return out


def build(app) -> int:
    """A kelurahan with COUNT enrolled households, an event, and every handover recorded."""
    kelurahan = Kelurahan(
        code="3273021003",
        name="Tamansari",
        kecamatan="Bandung Wetan",
        kota="Kota Bandung",
        kode_pos="40116",
    )
    db.session.add(kelurahan)
    db.session.flush()
    rw = Rw(kelurahan_id=kelurahan.id, number=1)
    db.session.add(rw)
    db.session.flush()
    rt = Rt(kelurahan_id=kelurahan.id, rw_id=rw.id, number=1)
    staff = User(
        username="petugas",
        full_name="Rina Petugas",
        role="staff",
        kelurahan_id=kelurahan.id,
        password_hash="-",
    )
    program = AidProgram(
        kelurahan_id=kelurahan.id, code="PKH", name="Program Keluarga Harapan", target="household"
    )
    db.session.add_all([rt, staff, program])
    db.session.flush()
    db.session.execute(
        sa.insert(Household),
        [
            {
                "kelurahan_id": kelurahan.id,
                "rt_id": rt.id,
                "kk_number": f"3273020106150{n:03d}"[:16],
                "address": "Jl. Tamansari",
                "kode_pos": "40116",
            }
            for n in range(COUNT)
        ],
    )
    households = db.session.scalars(sa.select(Household.id).order_by(Household.id)).all()
    db.session.execute(
        sa.insert(Person),
        [
            {
                "kelurahan_id": kelurahan.id,
                "household_id": h,
                "nik": f"327302{14:02d}0385{n % 9999 + 1:04d}" if n < 9999 else None,
                "name": f"WARGA PENERIMA {n:04d}",
                "sex": "L",
                "birth_date": date(1985, 3, 14),
                "relation": "kepala",
            }
            for n, h in enumerate(households)
        ],
    )
    db.session.execute(
        sa.insert(Enrollment),
        [
            {
                "kelurahan_id": kelurahan.id,
                "program_id": program.id,
                "household_id": h,
                "period_start": date(2026, 1, 1),
                "status": "aktif",
                "status_reason": "",
            }
            for h in households
        ],
    )
    event = create_event(
        db.session,
        staff,
        program,
        period="Tahap 4 2026",
        event_date=date(2026, 11, 22),
        place="Aula Kelurahan",
        goods="Uang tunai",
        amount=600_000,
        volunteer_ids=[],
    )
    db.session.commit()
    recipients = db.session.scalars(
        sa.select(DistributionRecipient).where(DistributionRecipient.event_id == event.id)
    ).all()
    for n, recipient in enumerate(recipients):
        record_handover(
            db.session,
            staff,
            recipient,
            HandoverInput(
                idempotency_key=f"bench-{n:06d}-0123456789", photo=photo(), signature=signature()
            ),
        )
        if n % 100 == 99:
            db.session.commit()
    db.session.commit()
    return event.id


def render(event_id: int) -> bytes:
    event = db.session.get(DistributionEvent, event_id)
    return report_pdf(event, kelurahan_name(event), progress(event_id), report_rows(event_id))


app = scratch_app()
with app.app_context():
    started = time.perf_counter()
    event_id = build(app)
    print(
        f"setup: {COUNT} recipients with photos and signatures recorded in "
        f"{time.perf_counter() - started:.1f} s"
    )
    db.session.expunge_all()
    started = time.perf_counter()
    payload = render(event_id)
    elapsed = time.perf_counter() - started
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(payload)).pages)
    print(
        f"event report PDF, {COUNT} recipients: {elapsed:.2f} s, {len(payload) / 1e6:.1f} MB, "
        f"{pages} pages (target < 20 s)"
    )
    db.session.expunge_all()
    tracemalloc.start()
    render(event_id)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak Python allocations while rendering: {peak / 1e6:.0f} MB (target < 500 MB)")
    print(
        f"process max RSS (setup included): "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
