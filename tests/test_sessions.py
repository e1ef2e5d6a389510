"""Sessions the server can end: sign-out, deactivation, password reset, idle timeout, cap."""

import logging
import time

from nutera.auth import sessions
from nutera.extensions import db
from nutera.models import User
from tests.conftest import PASSWORD


def _copy_of_session(app, client):
    """A second browser holding a copy of client's session cookie."""
    stolen = app.test_client()
    stolen.set_cookie("session", client.get_cookie("session").value)
    return stolen


def test_cookie_copied_before_logout_is_refused_after_it(app, client, login_as):
    login_as("staff")
    stolen = _copy_of_session(app, client)
    assert stolen.get("/dasbor").status_code == 200  # the copy works while signed in
    client.post("/logout")
    response = stolen.get("/dasbor")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert stolen.get("/registri/kk").status_code == 302


def test_deactivation_ends_open_sessions_and_sign_in(app, client, login_as, world):
    login_as("staff")
    assert client.get("/dasbor").status_code == 200
    admin = app.test_client()
    admin.post("/login", data={"username": "admin", "password": PASSWORD})
    response = admin.post(f"/admin/pengguna/{world.user_ids['staff']}/aktif")
    assert response.status_code == 302
    assert client.get("/dasbor").status_code == 302
    page = client.post("/login", data={"username": "petugas", "password": PASSWORD})
    assert page.status_code == 200 and "Nama pengguna atau kata sandi salah." in page.text
    admin.post(f"/admin/pengguna/{world.user_ids['staff']}/aktif")  # reactivate
    assert (
        client.post("/login", data={"username": "petugas", "password": PASSWORD}).status_code
        == 302
    )


def test_admin_password_reset_ends_sessions_and_forces_a_new_password(
    app, client, login_as, world
):
    login_as("volunteer")
    admin = app.test_client()
    admin.post("/login", data={"username": "admin", "password": PASSWORD})
    page = admin.post(f"/admin/pengguna/{world.user_ids['volunteer']}/reset-sandi")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    temporary = page.text.split('id="temporary-password">')[1].split("<")[0]
    assert client.get("/survei/").status_code == 302  # the open session ended
    assert (
        client.post("/login", data={"username": "relawan", "password": PASSWORD}).status_code
        == 200
    )
    response = client.post("/login", data={"username": "relawan", "password": temporary})
    assert response.status_code == 302
    forced = client.get("/survei/")
    assert forced.status_code == 302 and forced.headers["Location"].endswith("/akun/kata-sandi")
    refused = client.post(
        "/akun/kata-sandi",
        data={
            "current_password": temporary,
            "new_password": "pendek",
            "confirm_password": "pendek",
        },
    )
    assert "minimal 10 karakter" in refused.text
    done = client.post(
        "/akun/kata-sandi",
        data={
            "current_password": temporary,
            "new_password": "sandi-baru-relawan-1",
            "confirm_password": "sandi-baru-relawan-1",
        },
    )
    assert done.status_code == 302
    assert client.get("/survei/").status_code == 200
    with app.app_context():
        assert not db.session.get(User, world.user_ids["volunteer"]).must_change_password


def test_changing_own_password_ends_other_sessions_but_not_this_one(app, client, login_as):
    login_as("staff")
    other_device = _copy_of_session(app, client)
    wrong = client.post(
        "/akun/kata-sandi",
        data={
            "current_password": "bukan-sandinya",
            "new_password": "sandi-baru-petugas-1",
            "confirm_password": "sandi-baru-petugas-1",
        },
    )
    assert "Kata sandi saat ini salah." in wrong.text
    client.post(
        "/akun/kata-sandi",
        data={
            "current_password": PASSWORD,
            "new_password": "sandi-baru-petugas-1",
            "confirm_password": "sandi-baru-petugas-1",
        },
    )
    assert client.get("/dasbor").status_code == 200
    assert other_device.get("/dasbor").status_code == 302
    client.post("/logout")
    response = client.post(
        "/login", data={"username": "petugas", "password": "sandi-baru-petugas-1"}
    )
    assert response.status_code == 302


def _age_session(client, key, seconds):
    with client.session_transaction() as session:
        session[key] = int(time.time()) - seconds


def test_idle_staff_session_ends_after_30_minutes(client, login_as):
    login_as("staff")
    _age_session(client, sessions.LAST_SEEN, 29 * 60)
    assert client.get("/dasbor").status_code == 200  # activity renews it
    _age_session(client, sessions.LAST_SEEN, 31 * 60)
    response = client.get("/dasbor")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_idle_timeout_is_configurable(make_app, world):
    from datetime import timedelta

    app = make_app(SESSION_IDLE_TIMEOUT=timedelta(minutes=5))
    client = app.test_client()
    client.post("/login", data={"username": "petugas", "password": PASSWORD})
    _age_session(client, sessions.LAST_SEEN, 6 * 60)
    assert client.get("/dasbor").status_code == 302


def test_session_ends_eight_hours_after_sign_in_however_busy(client, login_as):
    login_as("staff")
    _age_session(client, sessions.SIGNED_IN_AT, 8 * 3600 + 60)
    assert client.get("/dasbor").status_code == 302


def test_startup_warns_without_secure_cookies_outside_debug(make_app, caplog):
    def warned(**config) -> bool:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            make_app(**config)
        return any("NUTERA_SESSION_COOKIE_SECURE" in r.getMessage() for r in caplog.records)

    assert warned(TESTING=False, SESSION_COOKIE_SECURE=False)
    assert not warned(TESTING=False, SESSION_COOKIE_SECURE=True)
    assert not warned(DEBUG=True, SESSION_COOKIE_SECURE=False)
