"""Sign-in, sign-out, roles, rate limits and the users CLI."""

import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import User
from tests.conftest import PASSWORD


def test_login_page_is_indonesian(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Nama pengguna" in page and "Kata sandi" in page


def test_login_and_logout(client, auth, world):
    response = auth.login("petugas")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dasbor")
    assert "Rina" not in client.get("/dasbor").get_data(as_text=True)
    assert "Petugas" in client.get("/dasbor").get_data(as_text=True)
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/dasbor").status_code == 302  # back to the login page


def test_wrong_password_and_unknown_user_get_the_same_message(client, auth, world):
    wrong = auth.login("petugas", "salah-sekali-123").get_data(as_text=True)
    unknown = auth.login("tidak-ada", "salah-sekali-123").get_data(as_text=True)
    message = "Nama pengguna atau kata sandi salah."
    assert message in wrong and message in unknown
    assert client.get("/dasbor").status_code == 302


def test_rejected_login_keeps_the_username(client, auth, world):
    page = auth.login("petugas", "salah-sekali-123").get_data(as_text=True)
    assert 'value="petugas"' in page


def test_empty_login_form_explains_what_is_missing(client, world):
    page = client.post("/login", data={"username": "", "password": ""}).get_data(as_text=True)
    assert "Nama pengguna wajib diisi." in page and "Kata sandi wajib diisi." in page


def test_inactive_account_cannot_sign_in(app, auth, world):
    with app.app_context():
        db.session.get(User, world.user_ids["staff"]).active = False
        db.session.commit()
    assert auth.login("petugas").status_code == 200


def test_password_is_stored_hashed(app, world):
    with app.app_context():
        user = db.session.get(User, world.user_ids["staff"])
        assert PASSWORD not in user.password_hash
        assert user.check_password(PASSWORD)


def test_open_redirect_is_refused(client, world):
    response = client.post(
        "/login?next=//evil.example/x", data={"username": "petugas", "password": PASSWORD}
    )
    assert response.headers["Location"].endswith("/dasbor")


def test_next_inside_the_site_is_followed(client, world):
    response = client.post(
        "/login?next=/registri/kk", data={"username": "petugas", "password": PASSWORD}
    )
    assert response.headers["Location"].endswith("/registri/kk")


def test_session_is_permanent_with_expiry(app, client, world):
    client.post("/login", data={"username": "petugas", "password": PASSWORD})
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None
    assert cookie.http_only


def test_login_is_rate_limited(make_app, world):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [
        client.post("/login", data={"username": "petugas", "password": "x" * 12}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    page = client.post("/login", data={"username": "petugas", "password": PASSWORD})
    assert page.status_code == 429
    assert "Terlalu banyak permintaan" in page.get_data(as_text=True)


def test_csrf_is_required_on_login_and_logout(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/login", data={"username": "petugas", "password": PASSWORD})
    assert response.status_code == 400
    assert "kedaluwarsa" in response.get_data(as_text=True)


def test_volunteer_cannot_open_staff_pages(client, login_as):
    login_as("volunteer")
    assert client.get("/admin/pengguna").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/pengguna")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_cli_creates_staff_for_a_kelurahan(app, runner, world):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "Budi.Petugas",
            "--name",
            "Budi",
            "--role",
            "staff",
            "--kelurahan",
            "3273021003",
            "--password",
            "rahasia-panjang-1",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "budi.petugas"))
        assert user.role == "staff" and user.kelurahan_id == world.kelurahan_id


def test_cli_refuses_unknown_kelurahan_and_short_password(runner, world):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "x",
            "--name",
            "X",
            "--role",
            "staff",
            "--kelurahan",
            "9999",
            "--password",
            "rahasia-panjang",
        ]
    )
    assert result.exit_code != 0 and "tidak ada" in result.output
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "y",
            "--name",
            "Y",
            "--role",
            "staff",
            "--kelurahan",
            "3273021003",
            "--password",
            "pendek",
        ]
    )
    assert result.exit_code != 0 and "minimal 10" in result.output
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "z",
            "--name",
            "Z",
            "--role",
            "volunteer",
            "--password",
            "rahasia-panjang",
        ]
    )
    assert result.exit_code != 0 and "satu kelurahan" in result.output


def test_login_rate_limit_works_on_redis_storage(make_app, world):
    import os

    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    redis.Redis.from_url(url).flushdb()
    app = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=url, LOGIN_RATE_LIMIT="2 per minute"
    )
    client = app.test_client()
    codes = [
        client.post("/login", data={"username": "petugas", "password": "x" * 12}).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    assert redis.Redis.from_url(url).dbsize() > 0
