"""Staff upload a semicolon CSV with title rows on a phone, confirm the mapping, read the
preview, commit in the background, and find the registry updated."""

from datetime import date

from playwright.sync_api import expect

from tests.factories_refresh import write_csv

# A district code the demo never issues, so these NIKs and KKs are new to the registry.
PREFIX = "327309"


def _nik(born: date, sex: str, serial: int) -> str:
    return f"{PREFIX}{born.day + (40 if sex == 'P' else 0):02d}{born:%m%y}{serial:04d}"


def test_semicolon_csv_upload_preview_commit_and_registry_updated(
    phone, live_server, live_app, tmp_path
):
    kk = f"{PREFIX}010619{9101:04d}"
    rows = [
        [
            _nik(date(1984, 4, 12), "P", 9101),
            kk,
            "Nyai Sartika",
            "P",
            "12/04/1984",
            "Gg. Sukamaju No. 7",
            "001",
            "001",
            "",
        ],
        [
            _nik(date(1980, 1, 3), "L", 9102),
            kk,
            "ujang   permana",
            "L",
            "03/01/1980",
            "Gg. Sukamaju No. 7",
            "001",
            "001",
            "",
        ],
        [
            "3.27309E+15",
            kk,
            "BAYU PERMANA",
            "L",
            "05/05/2010",
            "Gg. Sukamaju No. 7",
            "001",
            "001",
            "",
        ],
    ]
    path = write_csv(tmp_path / "dtks_minggu_ini.csv", rows, delimiter=";", title_rows=2)

    phone.goto(live_server + "/login")
    phone.get_by_label("Nama pengguna").fill("petugas")
    phone.get_by_label("Kata sandi").fill(live_app.demo_accounts["petugas"])
    phone.get_by_role("button", name="Masuk").click()
    expect(phone.get_by_role("heading", name="Dasbor")).to_be_visible()

    phone.goto(live_server + "/pemutakhiran/")
    phone.get_by_label("Sumber data").fill("DTKS Kemensos E2E")
    phone.get_by_label("Berkas CSV atau XLSX").set_input_files(str(path))
    phone.get_by_role("button", name="Unggah dan periksa").click()

    # The mapping screen found the header under the two title rows and proposes the columns.
    expect(phone.get_by_role("heading", name="Pemetaan kolom")).to_be_visible()
    expect(phone.get_by_text("judul kolom ditemukan di baris 3")).to_be_visible()
    expect(phone.get_by_label("NIK *")).to_have_value("NIK")
    expect(phone.get_by_label("Nomor KK *")).to_have_value("NO KK")
    expect(phone.get_by_label("Nama *")).to_have_value("NAMA")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_role("button", name="Gunakan pemetaan ini").click()

    # The analysis runs in the background; the page polls and shows the preview when done.
    expect(phone.locator('[data-count="rows"]').first).to_have_text("3", timeout=30_000)
    expect(phone.locator('[data-count="baru"]')).to_have_text("2")
    expect(phone.locator('[data-count="ditolak"]')).to_have_text("1")
    expect(phone.locator('[data-count="kk_baru"]')).to_have_text("1")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.locator('[data-count="ditolak"]').locator("xpath=..").get_by_role(
        "link", name="Rincian"
    ).click()
    expect(phone.get_by_text("notasi ilmiah")).to_be_visible()
    phone.go_back()

    phone.get_by_role("button", name="Terapkan ke registri").click()
    expect(phone.locator("#committed")).to_contain_text("warga 2", timeout=30_000)

    phone.goto(f"{live_server}/registri/kk?kk={kk}")
    phone.get_by_role("link", name=kk).click()
    expect(phone.get_by_text("NYAI SARTIKA")).to_be_visible()
    expect(phone.get_by_text("UJANG PERMANA")).to_be_visible()
    expect(phone.get_by_text("BAYU PERMANA")).to_have_count(0)
