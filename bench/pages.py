"""In-process server time of the main pages with the full demo kelurahan loaded."""

from _common import scratch_app, summary, timed

from nutera.demo.services import seed_demo
from nutera.extensions import db

app = scratch_app()
with app.app_context():
    accounts = {a.username: a.password for a in seed_demo(db.session)}
    db.session.commit()

anonymous = app.test_client()
staff = app.test_client()
staff.post("/login", data={"username": "petugas", "password": accounts["petugas"]})

for label, client, path in [
    ("bare 404 page", anonymous, "/tidak-ada"),
    ("home (program figures + chart)", anonymous, "/"),
    ("login form", anonymous, "/login"),
    ("staff: household list page 1", staff, "/registri/kk"),
    ("staff: household list page 200", staff, "/registri/kk?page=200"),
    ("staff: audit log", staff, "/admin/audit"),
]:
    client.get(path)  # warm up
    print(summary(label, timed(lambda client=client, path=path: client.get(path), 200)))
