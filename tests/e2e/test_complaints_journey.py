"""Real Chromium: an anonymous sanggah from a phone, answered by staff; payloads never run."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories_complaints import jpeg_with_gps

REPORTER = "Ujang Pelapor Anonim"
INTERNAL = "Catatan internal: pelapor tetangga sebelah, jangan disebut."
ANSWER = "Terima kasih. Kepesertaan keluarga tersebut sedang kami tinjau ulang."
PAYLOAD = (
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1;alert(1)">'
    '"><svg onload="window.__pwned=1">'
)


@pytest.fixture
def complaint_box(live_app, monkeypatch):
    """Captcha answers readable by the test (TESTING) and room under the per-IP limit."""
    monkeypatch.setitem(live_app.config, "TESTING", True)
    monkeypatch.setitem(live_app.config, "COMPLAINT_RATE_LIMIT", "1000 per day")
    return live_app


def fill_captcha(page, app):
    page.get_by_label("Ketik huruf pada gambar").fill(app.config["LAST_CAPTCHA_ANSWER"])


def staff_page(browser, live_server, live_app):
    """A signed-in staff member in a desktop context."""
    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Nama pengguna").fill("petugas")
    page.get_by_label("Kata sandi").fill(live_app.demo_accounts["petugas"])
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Dasbor")).to_be_visible()
    return page


def test_anonymous_sanggah_from_a_phone_is_answered_by_code(
    phone, browser, live_server, complaint_box
):
    app = complaint_box
    phone.goto(live_server + "/pengaduan")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_label("Penerima tidak tepat (sanggah)").check()
    phone.get_by_label("RT/RW").select_option(label="RT 02/RW 01")
    phone.get_by_label("Nama orang yang dimaksud").fill("BAPAK PEMILIK MOBIL")
    phone.get_by_label("Uraian pengaduan").fill(
        "Keluarga ini menerima PKH padahal punya dua mobil dan toko besar."
    )
    phone.get_by_label("Foto pendukung (paling banyak 3)").set_input_files(
        files=[{"name": "mobil.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}]
    )
    phone.get_by_label("Nama Anda (boleh dikosongkan)").fill(REPORTER)
    phone.get_by_label("Nomor HP Anda (boleh dikosongkan)").fill("081355556666")
    phone.get_by_label(re.compile("^Anonim")).check()
    fill_captcha(phone, app)
    phone.get_by_role("button", name="Kirim pengaduan").click()

    expect(phone.get_by_text("Pengaduan Anda sudah kami terima.")).to_be_visible()
    code = phone.locator("#complaint-code").inner_text()
    assert re.fullmatch(r"NTR-[A-Z0-9]{5}-[A-Z0-9]{5}", code)
    expect(phone.get_by_role("button", name="Cetak kode")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    status_url = phone.url

    staff = staff_page(browser, live_server, app)
    staff.goto(live_server + "/meja-pengaduan?status=terbuka")
    staff.locator(f'[data-complaint="{code}"]').click()
    expect(staff.locator("#reporter")).to_contain_text("Anonim")
    expect(staff.locator("#reporter")).not_to_contain_text(REPORTER)
    expect(staff.get_by_role("img", name="Foto pengaduan 1")).to_be_visible()
    photo = staff.get_by_role("img", name="Foto pengaduan 1")
    assert photo.evaluate("img => img.naturalWidth") > 0  # served and decodable
    staff.get_by_role("button", name="Verifikasi").click()
    expect(staff.get_by_text("Pengaduan diverifikasi.")).to_be_visible()
    staff.get_by_label("Tulis catatan atau jawaban").fill(INTERNAL)
    staff.get_by_role("button", name="Simpan").last.click()
    expect(staff.get_by_text("Catatan internal disimpan.")).to_be_visible()
    staff.get_by_label("Tulis catatan atau jawaban").fill(ANSWER)
    staff.get_by_label("Jawaban publik (dapat dibaca pelapor lewat kode)").check()
    staff.get_by_role("button", name="Simpan").last.click()
    expect(staff.get_by_text("Jawaban publik terkirim.")).to_be_visible()
    staff.get_by_role("button", name="Tutup pengaduan").click()
    expect(staff.get_by_text("Pengaduan ditutup.")).to_be_visible()
    expect(staff.locator("#status-badge")).to_have_text("Selesai")
    staff.context.close()

    # The resident comes back later and types the code in the lookup box.
    phone.goto(live_server + "/pengaduan")
    phone.get_by_label("Kode pengaduan").fill(code.lower())
    phone.get_by_role("button", name="Cek status").click()
    assert phone.url == status_url
    expect(phone.locator("#complaint-status")).to_have_text("Selesai")
    expect(phone.locator("[data-answer]")).to_contain_text(ANSWER)
    for page_url in (status_url, live_server + "/pengaduan", live_server + "/"):
        phone.goto(page_url)
        body = phone.locator("body").inner_text()
        html = phone.content()
        for secret in (REPORTER, "081355556666", INTERNAL, "BAPAK PEMILIK MOBIL", "dua mobil"):
            assert secret not in body and secret not in html, (page_url, secret)


def test_script_payloads_never_run_on_public_or_staff_pages(
    phone, browser, live_server, complaint_box
):
    app = complaint_box
    dialogs = []
    phone.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    phone.goto(live_server + "/pengaduan")
    phone.get_by_label("Usulan penerima baru (usul)").check()
    phone.get_by_label("RT/RW").select_option(label="RT 01/RW 01")
    phone.get_by_label("Nama orang yang dimaksud").fill("X" + PAYLOAD[:100])
    phone.get_by_label("Alamat orang yang dimaksud").fill(PAYLOAD)
    phone.get_by_label("Uraian pengaduan").fill("Tolong didata. " + PAYLOAD)
    phone.get_by_label("Nama Anda (boleh dikosongkan)").fill(PAYLOAD[:110])
    fill_captcha(phone, app)
    phone.get_by_role("button", name="Kirim pengaduan").click()
    code = phone.locator("#complaint-code").inner_text()

    staff = staff_page(browser, live_server, app)
    staff.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    staff.goto(live_server + "/meja-pengaduan")
    staff.locator(f'[data-complaint="{code}"]').click()
    # Each form posts and comes back: wait for its message before filling the new page.
    staff.get_by_role("button", name="Verifikasi").click()
    expect(staff.get_by_text("Pengaduan diverifikasi.")).to_be_visible()
    for public, saved in (
        (False, "Catatan internal disimpan."),
        (True, "Jawaban publik terkirim."),
    ):
        staff.get_by_label("Tulis catatan atau jawaban").fill(PAYLOAD)
        if public:
            staff.get_by_label("Jawaban publik (dapat dibaca pelapor lewat kode)").check()
        staff.get_by_role("button", name="Simpan").last.click()
        expect(staff.get_by_text(saved)).to_be_visible()
    staff.reload()
    staff.wait_for_load_state("load")  # images (onerror) and svg (onload) had their chance
    assert staff.evaluate("typeof window.__pwned") == "undefined"
    # The payload is shown as text where staff read it, and did nothing.
    expect(staff.locator("#description")).to_contain_text("<script>window.__pwned=1</script>")
    expect(staff.locator("#reporter")).to_contain_text("<script>")
    staff.goto(live_server + "/meja-pengaduan")
    expect(staff.locator(f'[data-complaint="{code}"]')).to_contain_text("<script>")
    assert staff.evaluate("typeof window.__pwned") == "undefined"
    staff.context.close()

    phone.goto(f"{live_server}/pengaduan/{code}")
    phone.wait_for_load_state("load")
    assert phone.evaluate("typeof window.__pwned") == "undefined"
    expect(phone.locator("[data-answer]")).to_contain_text("<script>window.__pwned=1</script>")
    injected = "document.querySelectorAll('main script, main svg, main img').length"
    assert phone.evaluate(injected) == 0
    assert dialogs == []
