"""How long `demo seed` takes (target: under 30 s). DATABASE_URL=... to run on PostgreSQL."""

import time

from _common import scratch_app

from nutera.demo.services import seed_demo
from nutera.extensions import db

app = scratch_app()
with app.app_context():
    started = time.perf_counter()
    seed_demo(db.session)
    db.session.commit()
    elapsed = time.perf_counter() - started
    print(
        f"demo seed on {db.engine.dialect.name}: {elapsed:.2f} s "
        f"(24,897 persons, 6,598 KK, 2,286 enrollments)"
    )
