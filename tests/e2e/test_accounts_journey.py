"""Account management on a 360 px phone: create a volunteer, assign RWs with checkboxes,
change a password, deactivate a user whose open session then ends (issue 14)."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_admin_creates_volunteer_assigns_two_rws_then_volunteer_changes_password(
    browser, live_server, live_app
):
    admin_context = browser.new_context(**PHONE, locale="id-ID")
    admin = admin_context.new_page()
    sign_in(admin, live_server, "admin", live_app.demo_accounts["admin"])
    expect(admin.get_by_role("heading", name="Dasbor")).to_be_visible()

    admin.goto(live_server + "/admin/pengguna/baru")
    role = admin.get_by_label("Peran")
    expect(role).to_have_value("")  # no role chosen for you, least of all Admin
    admin.get_by_label("Nama pengguna").fill("relawan.e2e")
    admin.get_by_label("Nama lengkap").fill("Sari Relawan Baru")
    admin.get_by_label("Kata sandi awal").fill("sandi-awal-relawan-1")
    admin.get_by_label("Kelurahan").select_option(label="Tamansari (3273091002)")
    admin.get_by_role("button", name="Buat akun").click()
    expect(admin.get_by_text("Pilih peran akun ini.")).to_be_visible()
    expect(admin.get_by_label("Nama lengkap")).to_have_value("Sari Relawan Baru")  # kept
    admin.get_by_label("Peran").select_option("volunteer")
    admin.get_by_label("Kata sandi awal").fill("sandi-awal-relawan-1")
    admin.get_by_role("button", name="Buat akun").click()
    expect(admin.get_by_text("Akun relawan.e2e (Relawan) dibuat.")).to_be_visible()

    # Assignment: checkboxes grouped by RW, "pilih seluruh RW" ticks every RT of it.
    expect(admin.get_by_role("heading", name="Penugasan Sari Relawan Baru")).to_be_visible()
    _fits(admin)
    whole_rw1 = admin.get_by_label("Pilih seluruh RW 01")
    box = whole_rw1.bounding_box()
    assert box is not None
    whole_rw1.check()
    admin.get_by_label("Pilih seluruh RW 02").check()
    rw1_rts = admin.locator("fieldset", has=admin.get_by_label("Pilih seluruh RW 01")).locator(
        "[data-rt]"
    )
    assert rw1_rts.count() > 1
    for index in range(rw1_rts.count()):
        expect(rw1_rts.nth(index)).to_be_checked()
    # The tap target of a checkbox row is at least 44 px high.
    row = admin.locator(".nt-check", has=admin.get_by_label("Pilih seluruh RW 01"))
    assert row.bounding_box()["height"] >= 44
    admin.get_by_role("button", name="Simpan penugasan").click()
    expect(admin.get_by_text(re.compile(r"Penugasan Sari Relawan Baru disimpan"))).to_be_visible()
    user_row = admin.locator("tr", has_text="relawan.e2e")
    expect(user_row).to_contain_text("Relawan")
    expect(user_row).to_contain_text("RT 01/RW 01")
    expect(user_row).to_contain_text("RT 01/RW 02")
    expect(user_row).not_to_contain_text("Admin")

    # The volunteer signs in with the first password and must choose their own.
    volunteer_context = browser.new_context(**PHONE, locale="id-ID")
    volunteer = volunteer_context.new_page()
    sign_in(volunteer, live_server, "relawan.e2e", "sandi-awal-relawan-1")
    expect(volunteer.get_by_role("heading", name="Ubah kata sandi")).to_be_visible()
    volunteer.get_by_label("Kata sandi saat ini").fill("sandi-awal-relawan-1")
    volunteer.get_by_label("Kata sandi baru", exact=True).fill("sandi-milik-sari-22")
    volunteer.get_by_label("Ulangi kata sandi baru").fill("sandi-milik-sari-22")
    volunteer.get_by_role("button", name="Ubah kata sandi").click()
    expect(volunteer.get_by_text("Kata sandi diubah.")).to_be_visible()
    _fits(volunteer)
    volunteer.goto(live_server + "/survei/")
    expect(volunteer.get_by_role("heading", name=re.compile("Tugas survei"))).to_be_visible()

    # Later the volunteer changes it again from "Akun saya".
    volunteer.goto(live_server + "/akun")
    volunteer.get_by_role("link", name="Ubah kata sandi").click()
    volunteer.get_by_label("Kata sandi saat ini").fill("sandi-milik-sari-22")
    volunteer.get_by_label("Kata sandi baru", exact=True).fill("sandi-kedua-sari-33")
    volunteer.get_by_label("Ulangi kata sandi baru").fill("sandi-kedua-sari-33")
    volunteer.get_by_role("button", name="Ubah kata sandi").click()
    expect(volunteer.get_by_text("Kata sandi diubah.")).to_be_visible()

    # The admin deactivates the account; the volunteer's open session is refused at once.
    admin.goto(live_server + "/admin/pengguna")
    admin.locator("tr", has_text="relawan.e2e").get_by_role(
        "link", name=re.compile("Ubah")
    ).click()
    admin.get_by_role("button", name="Nonaktifkan akun").click()
    expect(admin.get_by_text("Akun relawan.e2e dinonaktifkan")).to_be_visible()
    volunteer.goto(live_server + "/survei/")
    expect(volunteer.get_by_role("heading", name="Masuk petugas & relawan")).to_be_visible()
    expect(volunteer.get_by_text("Akun Anda sudah dinonaktifkan.")).to_be_visible()
    sign_in(volunteer, live_server, "relawan.e2e", "sandi-kedua-sari-33")
    expect(volunteer.get_by_text("Nama pengguna atau kata sandi salah.")).to_be_visible()
    admin_context.close()
    volunteer_context.close()
