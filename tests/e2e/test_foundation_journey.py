"""A visitor on a phone sees the program figures; staff sign in and out."""

from playwright.sync_api import expect

from tests.e2e.conftest import open_menu, wait_until


def test_home_figures_then_staff_login_and_logout(phone, live_server, live_app):
    phone.goto(live_server + "/")
    expect(phone.locator('[data-program="PKH"]')).to_have_text("1.073")
    expect(phone.locator('[data-program="BST"]')).to_have_text("578")
    expect(phone.locator('[data-program="BPNT"]')).to_have_text("385")
    # The chart was drawn by the vendored Chart.js (a canvas with a non-zero size).
    wait_until(phone, "document.getElementById('program-chart').width > 0")
    assert phone.evaluate("typeof Chart") == "function"
    # Nothing overflows a 360 px screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    open_menu(phone)
    phone.get_by_role("link", name="Masuk petugas").click()
    phone.get_by_label("Nama pengguna").fill("petugas")
    phone.get_by_label("Kata sandi").fill(live_app.demo_accounts["petugas"])
    phone.get_by_role("button", name="Masuk").click()
    expect(phone.get_by_text("Selamat datang, Rina Petugas Tamansari.")).to_be_visible()
    expect(phone.get_by_role("heading", name="Dasbor")).to_be_visible()

    open_menu(phone)
    phone.get_by_role("button", name="Keluar").click()
    expect(phone.get_by_text("Anda sudah keluar.")).to_be_visible()
    phone.goto(live_server + "/dasbor")
    expect(phone.get_by_role("heading", name="Masuk petugas & relawan")).to_be_visible()


def test_wrong_password_shows_indonesian_message(phone, live_server):
    phone.goto(live_server + "/login")
    phone.get_by_label("Nama pengguna").fill("petugas")
    phone.get_by_label("Kata sandi").fill("bukan-kata-sandinya")
    phone.get_by_role("button", name="Masuk").click()
    expect(phone.get_by_text("Nama pengguna atau kata sandi salah.")).to_be_visible()
    expect(phone.get_by_label("Nama pengguna")).to_have_value("petugas")
