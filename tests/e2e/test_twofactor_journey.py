"""Two-step sign-in in Chromium: enrolment with the QR page, sign-in with a TOTP code, then
with a recovery code (issue 12 point 7)."""

import time

import pyotp
from playwright.sync_api import expect

from nutera.auth.services import create_user
from nutera.extensions import db
from nutera.models import Kelurahan
from tests.e2e.conftest import PHONE, sign_out

PASSWORD = "sandi-petugas-dualangkah-1"


def _make_staff(live_app) -> None:
    with live_app.app_context():
        kelurahan = db.session.scalar(db.select(Kelurahan).limit(1))
        create_user(
            db.session,
            username="petugas.2fa",
            full_name="Petugas Dua Langkah",
            password=PASSWORD,
            role="staff",
            kelurahan=kelurahan,
        )
        db.session.commit()


def _password_step(page, base) -> None:
    page.goto(base + "/login")
    page.get_by_label("Nama pengguna").fill("petugas.2fa")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()


def test_enrol_then_sign_in_with_code_then_with_recovery_code(browser, live_server, live_app):
    _make_staff(live_app)
    context = browser.new_context(**PHONE, locale="id-ID")
    page = context.new_page()
    _password_step(page, live_server)
    expect(page.get_by_role("heading", name="Dasbor")).to_be_visible()

    page.goto(live_server + "/akun")
    page.get_by_role("link", name="Aktifkan verifikasi dua langkah").click()
    qr = page.get_by_role("img", name="Kode QR untuk aplikasi autentikator")
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert qr.evaluate("img => img.naturalWidth") > 0  # the browser decoded the QR image
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Kode").fill(totp.now())
    page.get_by_role("button", name="Lanjut").click()
    expect(page.get_by_role("heading", name="Verifikasi dua langkah aktif")).to_be_visible()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="Saya sudah menyimpannya").click()
    expect(page.get_by_text("Sisa kode pemulihan: 10.")).to_be_visible()
    sign_out(page)

    # Sign in: the password alone leads to the code step, the TOTP code finishes it.
    _password_step(page, live_server)
    expect(page.get_by_role("heading", name="Verifikasi dua langkah")).to_be_visible()
    page.goto(live_server + "/dasbor")
    expect(page.get_by_role("heading", name="Masuk petugas & relawan")).to_be_visible()
    _password_step(page, live_server)
    page.get_by_label("Kode").fill(totp.at(time.time() + 30))  # the enrolment code is spent
    page.get_by_role("button", name="Lanjut").click()
    expect(page.get_by_role("heading", name="Dasbor")).to_be_visible()
    sign_out(page)

    # Phone lost: a recovery code signs in once.
    _password_step(page, live_server)
    page.get_by_label("Kode").fill(codes[0])
    page.get_by_role("button", name="Lanjut").click()
    expect(page.get_by_text("Kode pemulihan dipakai; tersisa 9 kode.")).to_be_visible()
    expect(page.get_by_role("heading", name="Dasbor")).to_be_visible()
    sign_out(page)
    _password_step(page, live_server)
    page.get_by_label("Kode").fill(codes[0])
    page.get_by_role("button", name="Lanjut").click()
    expect(page.get_by_text("Kode salah atau sudah dipakai.")).to_be_visible()
    context.close()
