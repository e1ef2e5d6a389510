"""The server-side captcha."""

from nutera import captcha


def test_right_answer_passes_once(app):
    with app.test_request_context():
        image = captcha.new_challenge("cek")
        assert image.startswith("data:image/png;base64,")
        answer = app.config["LAST_CAPTCHA_ANSWER"]
        assert captcha.check_answer("cek", answer.lower())
        assert not captcha.check_answer("cek", answer)  # used up


def test_wrong_answer_fails_and_uses_up_the_challenge(app):
    with app.test_request_context():
        captcha.new_challenge("cek")
        answer = app.config["LAST_CAPTCHA_ANSWER"]
        assert not captcha.check_answer("cek", "XXXXX")
        assert not captcha.check_answer("cek", answer)


def test_answer_is_not_readable_from_the_session(app):
    from flask import session

    with app.test_request_context():
        captcha.new_challenge("pengaduan")
        answer = app.config["LAST_CAPTCHA_ANSWER"]
        assert answer not in str(dict(session))
        assert not captcha.check_answer("cek", answer)  # bound to its purpose


# --- Single use, on the server (issue 12 point 2) ------------------------------------------

import os  # noqa: E402

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from nutera.extensions import db  # noqa: E402
from nutera.models import AuditLog, Complaint  # noqa: E402
from tests.factories_complaints import TAMANSARI, form_data  # noqa: E402

FORM = f"/pengaduan?kelurahan={TAMANSARI}"
REDIS_URL = os.environ.get("TEST_REDIS_URL")


def _complaints(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Complaint))


def _replay_is_refused(app):
    client = app.test_client()
    assert client.get(FORM).status_code == 200
    cookie = client.get_cookie("session").value
    data = form_data(app.config["LAST_CAPTCHA_ANSWER"])
    first = client.post(FORM, data=data, content_type="multipart/form-data")
    assert first.status_code == 302 and _complaints(app) == 1
    replay = app.test_client()
    replay.set_cookie("session", cookie)  # the same cookie, solved captcha and all, again
    again = replay.post(FORM, data=data, content_type="multipart/form-data")
    assert again.status_code == 200 and "Huruf pada gambar tidak cocok." in again.text
    assert _complaints(app) == 1


def test_replayed_solved_captcha_is_refused_database_store(app, world):
    _replay_is_refused(app)


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
def test_replayed_solved_captcha_is_refused_redis_store(make_app, world):
    from nutera.serverstore import RedisStore

    app = make_app(RATELIMIT_STORAGE_URI=REDIS_URL)
    assert isinstance(app.extensions["server_store"], RedisStore)
    _replay_is_refused(app)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) >= 1


def test_wrong_answer_used_up_the_challenge_for_the_same_cookie(app, world):
    client = app.test_client()
    client.get(FORM)
    answer = app.config["LAST_CAPTCHA_ANSWER"]
    cookie = client.get_cookie("session").value
    client.post(FORM, data=form_data("XXXXX"), content_type="multipart/form-data")
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    response = replay.post(FORM, data=form_data(answer), content_type="multipart/form-data")
    assert "Huruf pada gambar tidak cocok." in response.text and _complaints(app) == 0


def test_replayed_lookup_captcha_is_refused(app, world):
    client = app.test_client()
    for _ in range(3):
        client.post("/cek", data={"nik": "3273020101900009", "nama": "X Y"})
    cookie = client.get_cookie("session").value
    answer = app.config["LAST_CAPTCHA_ANSWER"]
    data = {"nik": "3273020101900009", "nama": "X Y", "captcha": answer}
    assert "Jawaban kode" not in client.post("/cek", data=data).text
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert "Jawaban kode pada gambar salah" in replay.post("/cek", data=data).text


def test_new_picture_replaces_the_challenge(app, client, world):
    client.get(FORM)
    old_answer = app.config["LAST_CAPTCHA_ANSWER"]
    response = client.post("/kode-pengaman/pengaduan/baru")
    assert response.status_code == 200 and response.json["image"].startswith("data:image/png")
    assert response.headers["Cache-Control"] == "no-store"
    new_answer = app.config["LAST_CAPTCHA_ANSWER"]
    if new_answer != old_answer:
        refused = client.post(FORM, data=form_data(old_answer), content_type="multipart/form-data")
        assert "Huruf pada gambar tidak cocok." in refused.text
        client.get(FORM)
        new_answer = app.config["LAST_CAPTCHA_ANSWER"]
    done = client.post(FORM, data=form_data(new_answer), content_type="multipart/form-data")
    assert done.status_code == 302


def test_new_picture_needs_a_pending_challenge_and_a_known_form(client, world):
    assert client.post("/kode-pengaman/pengaduan/baru").status_code == 404
    assert client.post("/kode-pengaman/lain/baru").status_code == 404


def test_forms_offer_the_new_picture_button(app, client, world):
    page = client.get(FORM).text
    assert "data-captcha-redraw" in page and "js/captcha.js" in page and "<script>" not in page


def test_store_down_refuses_clearly_and_keeps_the_typing(make_app, world):
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")  # nothing listens there
    client = app.test_client()
    page = client.get(FORM)
    assert page.status_code == 200 and "Kode pengaman sedang tidak dapat dibuat" in page.text
    data = form_data("ABCDE", description="Bantuan beras bulan ini belum sampai ke rumah kami.")
    response = client.post(FORM, data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "gangguan di server kami" in response.text
    assert "Bantuan beras bulan ini belum sampai ke rumah kami." in response.text
    assert _complaints(app) == 0
    for _ in range(3):
        client.post("/cek", data={"nik": "3273020101900009", "nama": "Nama Saya"})
    lookup = client.post(
        "/cek", data={"nik": "3273020101900009", "nama": "Nama Saya", "captcha": "X"}
    )
    assert lookup.status_code == 200 and "gangguan di server kami" in lookup.text
    assert 'value="Nama Saya"' in lookup.text


def test_failed_captcha_is_a_security_event(app, client, world):
    client.get(FORM)
    client.post(FORM, data=form_data("XXXXX"), content_type="multipart/form-data")
    with app.app_context():
        entities = db.session.scalars(
            sa.select(AuditLog.entity).where(AuditLog.action == "security")
        ).all()
    assert "captcha.failed" in entities
