"""Security events in the audit log, and the viewer's filter to them (issue 12 point 8)."""

import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import AuditLog, Household, Kelurahan
from tests.conftest import PASSWORD
from tests.factories_programs import program_with_rule


def _events(app, name=None):
    with app.app_context():
        stmt = sa.select(AuditLog).where(AuditLog.action == "security").order_by(AuditLog.id)
        if name:
            stmt = stmt.where(AuditLog.entity == name)
        rows = db.session.scalars(stmt).all()
        db.session.expunge_all()
        return rows


def test_failed_logins_and_exports_appear_in_the_audit_viewer(app, client, world):
    with app.app_context():
        program = program_with_rule(db.session, db.session.get(Kelurahan, world.kelurahan_id))
        db.session.commit()
        program_id = program.id
    client.post("/login", data={"username": "petugas", "password": "salah-sekali-123"})
    client.post("/login", data={"username": "orang-asing", "password": "salah-sekali-123"})
    client.post("/login", data={"username": "petugas", "password": PASSWORD})
    export = client.get(f"/kelola/sasaran/{program_id}/ekspor.xlsx")
    assert export.status_code == 200
    [failed_known, failed_unknown] = _events(app, "login.failed")
    assert failed_known.user_id == world.user_ids["staff"] and failed_known.ip == "127.0.0.1"
    assert failed_known.kelurahan_id == world.kelurahan_id
    assert failed_unknown.user_id is None and failed_unknown.changes["username"] == "orang-asing"
    [download] = _events(app, "download")
    assert download.user_id == world.user_ids["staff"] and download.entity_id == program_id
    assert download.changes["endpoint"] == "targeting.export"

    # Staff see their kelurahan's events; the filter shows only security events.
    page = client.get("/admin/audit?jenis=keamanan").text
    assert "Gagal masuk" in page and "Unduhan data pribadi" in page and "Masuk berhasil" in page
    assert "ekspor.xlsx" in page
    # The admin sees the unknown username too.
    client.post("/logout")
    client.post("/login", data={"username": "admin", "password": PASSWORD})
    page = client.get("/admin/audit?jenis=keamanan").text
    assert "orang-asing" in page and "Keluar" in page


def test_security_filter_hides_data_changes(app, client, login_as, world):
    login_as("admin")
    client.post(
        "/admin/pengguna/baru",
        data={
            "username": "relawan.x",
            "full_name": "Relawan X",
            "role": "volunteer",
            "kelurahan_id": world.kelurahan_id,
            "password": "rahasia-panjang-1",
        },
    )

    def log_rows(url: str) -> str:
        return client.get(url).text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]

    everything = log_rows("/admin/audit")
    security_only = log_rows("/admin/audit?jenis=keamanan")
    assert "relawan.x" in everything and "relawan.x" not in security_only


def test_refused_access_on_an_id_route_is_recorded(app, client, login_as, world):
    login_as("volunteer")
    other = world.household_ids["other"]
    assert client.get(f"/registri/kk/{other}").status_code == 404
    [event] = _events(app, "access.denied")
    assert event.user_id == world.user_ids["volunteer"] and event.entity_id == other
    assert event.changes["status"] == 404
    assert client.get("/halaman-tidak-ada").status_code == 404
    assert len(_events(app, "access.denied")) == 1  # a mistyped address is no refusal


def test_staff_reading_a_household_is_recorded_with_its_kk(app, client, login_as, world):
    login_as("staff")
    household_id = world.household_ids["assigned"]
    assert client.get(f"/registri/kk/{household_id}").status_code == 200
    [event] = _events(app, "household.view")
    with app.app_context():
        kk = db.session.get(Household, household_id).kk_number
    assert event.entity_id == household_id and event.changes["kk"] == kk
    assert event.user_id == world.user_ids["staff"]


def test_rate_limited_requests_and_lockouts_are_recorded(make_app, world):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute", LOGIN_BACKOFF_AFTER=2)
    client = app.test_client()
    for _ in range(3):
        client.post("/login", data={"username": "petugas", "password": "salah-sekali-123"})
    assert len(_events(app, "rate.limited")) == 1
    assert len(_events(app, "login.lockout")) == 1


def test_logout_and_successful_login_are_recorded(app, client, login_as, world):
    login_as("staff")
    client.post("/logout")
    names = [e.entity for e in _events(app)]
    assert names == ["login.ok", "logout"]


def test_deactivation_and_reset_are_recorded(app, client, login_as, world):
    login_as("admin")
    client.post(f"/admin/pengguna/{world.user_ids['volunteer']}/aktif")
    client.post(f"/admin/pengguna/{world.user_ids['volunteer']}/reset-sandi")
    names = [e.entity for e in _events(app)]
    assert "account.deactivated" in names and "password.reset" in names


def test_a_flood_of_429s_is_one_row_a_minute(make_app, world):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    for _ in range(6):
        client.post("/login", data={"username": "tebak", "password": "salah-sekali-123"})
    assert len(_events(app, "rate.limited")) == 1


def test_photo_download_is_recorded(app, client, login_as, world, monkeypatch):
    from flask import send_file

    import nutera.surveys.routes as survey_routes

    class FakeSurvey:
        house_photo = "x.jpg"

    monkeypatch.setattr(survey_routes, "survey_for", lambda user, survey_id: FakeSurvey())
    monkeypatch.setattr(
        survey_routes,
        "send_stored",
        lambda path: send_file(__import__("io").BytesIO(b"\xff\xd8\xff"), mimetype="image/jpeg"),
    )
    login_as("staff")
    assert client.get("/survei/77/foto").status_code == 200
    [event] = _events(app, "download")
    assert event.entity_id == 77 and event.changes["type"] == "image/jpeg"


def test_refusals_log_the_route_never_the_secret_in_the_address(app, client, world):
    code = "NTR-K7XMA-3PC9R"
    assert client.get(f"/pengaduan/{code}").status_code == 404
    [event] = _events(app, "access.denied")
    assert event.changes["route"] == "/pengaduan/<code>"
    assert code not in str(event.changes)
