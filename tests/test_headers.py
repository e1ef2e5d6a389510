"""Security headers: a strict CSP, no framing, no sniffing, no caching of personal data."""

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from tests.factories_surveys import form_data, member

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def assert_policy(response):
    csp = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in csp.split(";") if part.strip()
    )
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["img-src"] == ["'self'", "data:", "blob:"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_public_page_has_the_policy_and_same_origin_referrer(client):
    response = client.get("/")
    assert response.status_code == 200
    assert_policy(response)
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"  # the page carries a CSRF token
    assert "Strict-Transport-Security" not in response.headers


def test_error_pages_have_the_policy_too(client):
    response = client.get("/tidak-ada-halaman-ini")
    assert response.status_code == 404
    assert_policy(response)


def test_staff_page_is_never_stored(client, login_as):
    login_as("staff")
    response = client.get("/registri/kk")
    assert response.status_code == 200
    assert_policy(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_stored_file_is_never_stored_and_not_sniffed(client, login_as, world, app):
    from nutera.extensions import db
    from nutera.models import User

    with app.app_context():
        rt_id = db.session.get(User, world.user_ids["volunteer"]).assigned_rts[0].id
    login_as("volunteer")
    fill = client.post("/survei/mulai", data={"rt_id": rt_id}).headers["Location"]
    data = form_data(rt_id, [member("BUDI SANTOSO", "kepala")])
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 30)).save(image, "JPEG")
    data["photo"] = (io.BytesIO(image.getvalue()), "rumah.jpg")
    detail = client.post(fill, data=data, content_type="multipart/form-data")
    photo = client.get(detail.headers["Location"] + "/foto")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert_policy(photo)
    assert "no-store" in photo.headers["Cache-Control"]


def test_export_file_is_never_stored(client, login_as):
    login_as("staff")
    response = client.get("/survei/daftar.xlsx")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert_policy(response)


def test_complaint_status_page_sends_no_referrer(client, world):
    response = client.get("/pengaduan/NTR-AAAAA-AAAAA")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/nutera.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_only_with_secure_cookies(make_app):
    secure = make_app(SESSION_COOKIE_SECURE=True).test_client().get("/")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    plain = make_app(SESSION_COOKIE_SECURE=False).test_client().get("/")
    assert "Strict-Transport-Security" not in plain.headers


INLINE_SCRIPT = re.compile(r'<script(?![^>]*(\bsrc=|type="application/json"))[^>]*>', re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\s on[a-z]+\s*=", re.I | re.X)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_templates_have_no_inline_script_handler_or_style(path):
    text = path.read_text()
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to static/js"
    assert not INLINE_HANDLER.search(text), "inline event handler: use addEventListener"
    assert not STYLE_ATTRIBUTE.search(text), "style attribute: use a class in nutera.css"
    assert "<style" not in text


def test_scripts_build_no_inline_style_or_handler():
    for script in (TEMPLATES.parent / "static" / "js").glob("*.js"):
        text = script.read_text()
        assert not STYLE_ATTRIBUTE.search(text) and not INLINE_HANDLER.search(text), script
