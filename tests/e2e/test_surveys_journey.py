"""A volunteer surveys a household on a phone through a dropped connection; staff verify it."""

import io
import re
from datetime import date

from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.factories import make_kk, make_nik

PREFIX = "327305"  # a kecamatan the demo does not use, so these numbers are new to it
KK = make_kk(prefix=PREFIX, serial=9101)
MEMBERS = [  # name, relation label, sex label, birth date, NIK
    ("AGUS PRASETYO", "Kepala keluarga", "Laki-laki", date(1984, 7, 12)),
    ("DEWI LESTARI", "Istri", "Perempuan", date(1987, 2, 23)),
    ("RIZKY PRASETYO", "Anak", "Laki-laki", date(2010, 10, 5)),
    ("NADIA PRASETYO", "Anak", "Perempuan", date(2016, 4, 30)),
]


def nik_of(index: int) -> str:
    _, _, sex, birth = MEMBERS[index]
    return make_nik(birth, "P" if sex == "Perempuan" else "L", prefix=PREFIX, serial=9201 + index)


def fill_member(page, index: int, birth: date | None = None) -> None:
    name, relation, sex, real_birth = MEMBERS[index]
    row = f"#members-{index}-"
    page.fill(row + "nik", nik_of(index))
    page.fill(row + "name", name)
    page.select_option(row + "relation", label=relation)
    page.select_option(row + "sex", label=sex)
    page.fill(row + "birth_date", (birth or real_birth).isoformat())
    page.fill(row + "occupation", "Buruh harian" if index == 0 else "")
    page.fill(row + "monthly_income", "1800000" if index == 0 else "0")


def house_photo() -> dict:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (150, 90, 40)).save(out, "JPEG")
    return {"name": "rumah.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Dasbor")).to_be_visible()


def test_survey_offline_resume_mismatch_return_and_approve(browser, live_server, live_app):
    volunteer_context = browser.new_context(**PHONE, locale="id-ID")
    phone = volunteer_context.new_page()
    sign_in(phone, live_server, "relawan1", live_app.demo_accounts["relawan1"])

    phone.goto(live_server + "/survei/")
    expect(phone.get_by_role("heading", name=re.compile("Tugas survei"))).to_be_visible()
    phone.get_by_role("button", name="Mulai survei").click()
    expect(phone.get_by_role("heading", name=re.compile("Survei rumah tangga"))).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.get_by_label("Nomor KK").fill(KK)
    phone.get_by_label("Alamat").fill("Gg. Sukamaju No. 12")
    phone.get_by_label("Kode pos").fill("40116")
    phone.get_by_label("Status rumah").select_option(label="Sewa/kontrak")
    phone.get_by_label("Lantai").select_option(label="Semen")
    phone.get_by_label("Dinding").select_option(label="Setengah tembok")
    phone.get_by_label("Atap").select_option(label="Seng/asbes")
    phone.get_by_label("Jamban").select_option(label="Bersama/umum")
    phone.get_by_label("Air minum").select_option(label="Sumur gali")
    phone.get_by_label("Daya listrik (VA, 0 bila tidak ada)").fill("450")
    phone.get_by_label("Lintang").fill("-6.901234")
    phone.get_by_label("Bujur").fill("107.609876")
    fill_member(phone, 0)
    phone.get_by_role("button", name="+ Tambah anggota").click()
    fill_member(phone, 1)
    expect(phone.locator("#save-status")).to_contain_text("Tersimpan di server")

    # The connection drops in the alley; the volunteer keeps typing.
    volunteer_context.set_offline(True)
    phone.get_by_role("button", name="+ Tambah anggota").click()
    fill_member(phone, 2)
    phone.get_by_role("button", name="+ Tambah anggota").click()
    fill_member(phone, 3, birth=date(2016, 4, 29))  # one day off what the NIK says
    expect(phone.locator("#save-status")).to_contain_text("Tidak ada koneksi")
    phone.close()

    # Back online, the volunteer resumes the draft from the list; nothing was lost.
    volunteer_context.set_offline(False)
    phone = volunteer_context.new_page()
    phone.goto(live_server + "/survei/")
    phone.locator("#drafts").get_by_role("link", name="Lanjutkan").first.click()
    expect(phone.locator("#save-status")).to_contain_text("dipulihkan")
    expect(phone.locator(".member")).to_have_count(4)
    expect(phone.locator("#members-3-name")).to_have_value("NADIA PRASETYO")
    expect(phone.locator("#members-1-nik")).to_have_value(nik_of(1))
    expect(phone.get_by_label("Nomor KK")).to_have_value(KK)

    phone.get_by_label("Foto rumah (boleh dilewati)").set_input_files(house_photo())
    phone.get_by_role("button", name="Kirim survei").click()
    expect(
        phone.get_by_text("Tidak cocok dengan NIK (NIK menunjukkan lahir 30-04-2016)")
    ).to_be_visible()
    expect(phone.locator(".member")).to_have_count(4)
    phone.fill("#members-3-birth_date", "2016-04-30")
    phone.get_by_role("button", name="Kirim survei").click()
    expect(phone.get_by_text("Survei terkirim dan menunggu verifikasi petugas.")).to_be_visible()
    survey_id = int(re.search(r"/survei/(\d+)$", phone.url).group(1))

    # Staff see the differences and the volunteer's name, and return it once.
    staff_context = browser.new_context()
    desk = staff_context.new_page()
    sign_in(desk, live_server, "petugas", live_app.demo_accounts["petugas"])
    desk.goto(live_server + "/survei/verifikasi")
    expect(desk.get_by_role("heading", name=f"Survei #{survey_id}")).to_be_visible()
    expect(desk.get_by_text("KK baru: belum ada di registri.")).to_be_visible()
    expect(desk.get_by_text("Anggota baru: NADIA PRASETYO.")).to_be_visible()
    expect(desk.locator("#volunteer-name")).to_contain_text("Relawan")
    expect(desk.get_by_role("img", name="Foto rumah")).to_be_visible()
    expect(desk.get_by_role("link", name="Buka peta")).to_be_visible()
    desk.get_by_label("Catatan untuk relawan").fill("Pekerjaan istri belum diisi.")
    desk.get_by_role("button", name="Kembalikan").click()
    expect(desk.get_by_text(f"Survei #{survey_id} dikembalikan ke relawan.")).to_be_visible()

    # The volunteer corrects it and sends it again.
    phone.goto(live_server + f"/survei/{survey_id}/isi")
    expect(phone.get_by_text("Pekerjaan istri belum diisi.")).to_be_visible()
    phone.fill("#members-1-occupation", "Penjahit")
    phone.get_by_role("button", name="Kirim survei").click()
    expect(phone.get_by_text("Survei terkirim dan menunggu verifikasi petugas.")).to_be_visible()

    # Staff approve; the registry now holds the household with its four members.
    desk.goto(live_server + "/survei/verifikasi")
    expect(desk.get_by_role("heading", name=f"Survei #{survey_id}")).to_be_visible()
    desk.get_by_role("button", name="Setujui & perbarui registri").click()
    expect(desk.get_by_text(f"Survei #{survey_id} disetujui")).to_be_visible()
    desk.goto(live_server + f"/survei/{survey_id}")
    expect(desk.locator("#status-history li")).to_have_count(5)
    desk.goto(live_server + f"/registri/kk?kk={KK}")
    desk.get_by_role("link", name=KK).click()
    for name, *_ in MEMBERS:
        expect(desk.get_by_role("cell", name=name)).to_be_visible()
    expect(desk.get_by_role("cell", name=nik_of(3))).to_be_visible()
    staff_context.close()
    volunteer_context.close()
