"""Two-step sign-in: enrolment with a QR code, sign-in with a code, recovery codes, policy."""

import re

import pyotp
import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import RecoveryCode, User
from tests.conftest import PASSWORD


def _enrol(client) -> tuple[str, list[str]]:
    """Enrol the signed-in user; (secret, recovery codes)."""
    page = client.get("/akun/dua-langkah")
    assert page.status_code == 200 and 'src="data:image/svg+xml;base64,' in page.text
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    wrong = client.post("/akun/dua-langkah", data={"code": "000000"})
    assert "Kode tidak cocok" in wrong.text
    done = client.post("/akun/dua-langkah", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.text)
    assert len(codes) == 10
    return secret, codes


def _code_for_next_step(secret: str) -> str:
    """A code of the next 30-second step (the current one was used at enrolment)."""
    totp = pyotp.TOTP(secret)
    return totp.at(int(__import__("time").time()) + 30)


def test_enrolment_then_sign_in_needs_the_code(app, client, login_as, world):
    login_as("staff")
    secret, codes = _enrol(client)
    with app.app_context():
        stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
        assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes are kept
        assert db.session.get(User, world.user_ids["staff"]).has_2fa
    client.post("/logout")
    response = client.post("/login", data={"username": "petugas", "password": PASSWORD})
    assert response.headers["Location"].endswith("/login/kode")
    assert client.get("/dasbor").status_code == 302  # the password alone opens nothing
    refused = client.post("/login/kode", data={"code": "123456"})
    assert "Kode salah" in refused.text
    code = _code_for_next_step(secret)
    response = client.post("/login/kode", data={"code": code})
    assert response.status_code == 302 and client.get("/dasbor").status_code == 200
    # The same code cannot be used twice.
    client.post("/logout")
    client.post("/login", data={"username": "petugas", "password": PASSWORD})
    assert "Kode salah" in client.post("/login/kode", data={"code": code}).text


def test_recovery_code_signs_in_once(app, client, login_as):
    login_as("staff")
    _, codes = _enrol(client)
    client.post("/logout")
    client.post("/login", data={"username": "petugas", "password": PASSWORD})
    response = client.post("/login/kode", data={"code": codes[0].upper()})
    assert response.status_code == 302 and client.get("/dasbor").status_code == 200
    client.post("/logout")
    client.post("/login", data={"username": "petugas", "password": PASSWORD})
    assert "Kode salah" in client.post("/login/kode", data={"code": codes[0]}).text


def test_second_step_without_password_step_goes_back_to_login(client, world):
    response = client.post("/login/kode", data={"code": "123456"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_admin_requires_two_step_for_staff(app, client, login_as, world):
    admin = app.test_client()
    admin.post("/login", data={"username": "admin", "password": PASSWORD})
    page = admin.get("/admin/keamanan")
    assert page.status_code == 200
    admin.post("/admin/keamanan", data={"roles": ["staff"]})
    login_as("staff")
    response = client.get("/registri/kk")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/akun/dua-langkah"
    )
    _enrol(client)
    assert client.get("/registri/kk").status_code == 200
    # Volunteers are not required: they go straight in.
    volunteer = app.test_client()
    volunteer.post("/login", data={"username": "relawan", "password": PASSWORD})
    assert volunteer.get("/survei/").status_code == 200
    # Staff cannot turn it off while their role requires it.
    client.post("/akun/dua-langkah/matikan", data={"password": PASSWORD})
    with app.app_context():
        assert db.session.get(User, world.user_ids["staff"]).has_2fa


def test_only_admin_sets_the_policy(client, login_as):
    login_as("staff")
    assert client.get("/admin/keamanan").status_code == 403


def test_volunteer_may_enrol_and_turn_it_off(app, client, login_as, world):
    login_as("volunteer")
    _enrol(client)
    client.post("/akun/dua-langkah/matikan", data={"password": PASSWORD})
    with app.app_context():
        user = db.session.get(User, world.user_ids["volunteer"])
        assert not user.has_2fa and user.totp_secret is None


def test_cli_removes_two_step_sign_in(app, client, login_as, runner, world):
    login_as("staff")
    _enrol(client)
    result = runner.invoke(args=["users", "remove-2fa", "--username", "petugas"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert not db.session.get(User, world.user_ids["staff"]).has_2fa
    assert runner.invoke(args=["users", "remove-2fa", "--username", "siapa"]).exit_code != 0
