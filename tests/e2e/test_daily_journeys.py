"""A week of daily use on a 360 px phone: volunteers join, the handover desk finds people,
drafts do not multiply, and a refused answer keeps its text."""

import re
from datetime import date

import sqlalchemy as sa
from playwright.sync_api import expect

from nutera.extensions import db
from nutera.models import (
    AidProgram,
    DistributionRecipient,
    Household,
    Person,
    Survey,
    User,
)
from tests.e2e.conftest import PHONE, sign_out
from tests.e2e.test_distribution_journey import capture
from tests.e2e.test_surveys_journey import sign_in


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_student_joins_pledges_and_starts_a_survey(browser, live_server, live_app):
    context = browser.new_context(**PHONE, locale="id-ID")
    phone = context.new_page()
    phone.goto(live_server + "/")
    phone.get_by_role("link", name="Daftar jadi relawan").click()
    phone.get_by_label("Nama lengkap").fill("Putri Maharani")
    phone.get_by_label("Kampus dan jurusan").fill("ITB, Perencanaan Wilayah")
    phone.get_by_label("Nomor HP/WhatsApp").fill("0813 2222 3333")
    phone.get_by_label("RW yang diinginkan").select_option(label="RW 03")
    phone.get_by_label("Waktu luang").fill("Sabtu dan Minggu pagi")
    fits(phone)
    phone.get_by_role("button", name="Kirim pendaftaran").click()
    expect(phone.get_by_role("heading", name="Terima kasih!")).to_be_visible()

    sign_in(phone, live_server, "petugas", live_app.demo_accounts["petugas"])
    phone.goto(live_server + "/kelola/relawan")
    phone.locator("[data-application]", has_text="Putri Maharani").get_by_role(
        "link", name="Tinjau"
    ).click()
    expect(phone.get_by_label("Nama pengguna")).to_have_value("putri.maharani")
    # The preferred RW is ticked as a whole; staff add RW 04 with one tap.
    expect(phone.get_by_label("Seluruh RW 03")).to_be_checked()
    phone.get_by_label("Seluruh RW 04").check()
    fits(phone)
    phone.get_by_role("button", name="Terima dan buat akun relawan").click()
    password = phone.locator("#initial-password").inner_text()
    assert len(password) >= 10
    with live_app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "putri.maharani"))
        assert user.role == "volunteer"
        assert {rt.rw.number for rt in user.assigned_rts} == {3, 4}
    sign_out(phone)

    phone.goto(live_server + "/login")
    phone.get_by_label("Nama pengguna").fill("putri.maharani")
    phone.get_by_label("Kata sandi").fill(password)
    phone.get_by_role("button", name="Masuk").click()
    # Staff read the first password, so the volunteer must choose her own before anything else.
    expect(phone.get_by_role("heading", name="Ubah kata sandi")).to_be_visible()
    phone.goto(live_server + "/survei/")
    expect(phone.get_by_role("heading", name="Ubah kata sandi")).to_be_visible()
    phone.get_by_label("Kata sandi saat ini").fill(password)
    phone.get_by_label("Kata sandi baru", exact=True).fill("sandi-putri-sendiri-7")
    phone.get_by_label("Ulangi kata sandi baru").fill("sandi-putri-sendiri-7")
    phone.get_by_role("button", name="Ubah kata sandi").click()
    expect(phone.get_by_text("Kata sandi diubah.")).to_be_visible()
    phone.goto(live_server + "/survei/")
    phone.get_by_role("link", name="panduan relawan dan janji kerahasiaan data").click()
    expect(phone.get_by_text("Yang boleh dan tidak boleh dibagikan")).to_be_visible()
    phone.get_by_label(re.compile("berjanji menjaga kerahasiaan")).check()
    phone.get_by_role("button", name="Saya setuju dan siap mendata").click()
    expect(phone.get_by_text("Janji kerahasiaan tercatat")).to_be_visible()
    phone.get_by_role("button", name="Mulai survei").click()
    expect(phone.get_by_role("heading", name=re.compile("Survei rumah tangga"))).to_be_visible()
    fits(phone)
    context.close()


def test_the_desk_finds_a_pkh_household_by_the_heads_nik(phone, live_server, live_app):
    from nutera.distribution.services import create_event

    with live_app.app_context():
        staff = db.session.scalar(sa.select(User).where(User.username == "petugas"))
        program = db.session.scalar(sa.select(AidProgram).where(AidProgram.code == "PKH"))
        event = create_event(
            db.session,
            staff,
            program,
            period="Tahap uji meja",
            event_date=date(2026, 12, 2),
            place="Aula Kelurahan",
            goods="Uang tunai",
            amount=750_000,
            volunteer_ids=[],
        )
        db.session.commit()
        event_id = event.id
        # A recipient who is not the head: the head comes with his own KTP.
        head = sa.orm.aliased(Person)
        recipient_id, wife_name, head_nik, head_name = db.session.execute(
            sa.select(DistributionRecipient.id, Person.name, head.nik, head.name)
            .join(Person, Person.id == DistributionRecipient.person_id)
            .join(Household, Household.id == DistributionRecipient.household_id)
            .join(head, sa.and_(head.household_id == Household.id, head.relation == "kepala"))
            .where(DistributionRecipient.event_id == event_id, Person.relation != "kepala")
            .order_by(DistributionRecipient.id)
            .limit(1)
        ).one()
    sign_in(phone, live_server, "petugas", live_app.demo_accounts["petugas"])
    phone.goto(f"{live_server}/penyaluran/{event_id}/serah-terima")
    phone.get_by_label("Cari penerima (NIK lengkap atau nama)").fill(head_nik)
    phone.get_by_role("button", name="Cari").click()
    hit = phone.locator("[data-recipient-row]")
    expect(hit).to_have_count(1)
    expect(hit).to_contain_text(wife_name)
    expect(hit).to_contain_text(f"Kepala keluarga: {head_name}")
    expect(hit).to_contain_text(re.compile(r"NIK \d{6}\*{6}\d{4} · lahir \d\d/\d\d"))
    fits(phone)
    hit.get_by_role("link", name="Serahkan").click()
    capture(phone)
    expect(phone.locator("[data-result]")).to_contain_text("Serah terima tercatat pada")
    receipt = phone.get_by_role("link", name="Tanda terima (PDF)")
    expect(receipt).to_be_visible()
    pdf = phone.request.get(live_server + receipt.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    phone.get_by_role("link", name="Penerima berikutnya").first.click()

    # The same recipient picked again shows the earlier handover, not the form.
    phone.get_by_label("Cari penerima (NIK lengkap atau nama)").fill(head_nik)
    phone.get_by_role("button", name="Cari").click()
    phone.locator("[data-recipient-row]").get_by_role("link", name="Sudah menerima").click()
    earlier = phone.locator("[data-earlier-handover]")
    expect(earlier).to_contain_text("Rina Petugas Tamansari")
    expect(earlier.get_by_role("img", name="Foto serah terima sebelumnya")).to_be_visible()
    assert phone.evaluate("document.querySelector('[data-earlier-handover] img').naturalWidth") > 0
    expect(phone.locator("[data-handover-form]")).to_have_count(0)
    fits(phone)
    assert recipient_id


def test_tapping_survei_twice_gives_one_draft_which_can_be_discarded(phone, live_server, live_app):
    sign_in(phone, live_server, "relawan2", live_app.demo_accounts["relawan2"])
    phone.goto(live_server + "/survei/")
    card = phone.locator("[data-rt]").first
    card.get_by_role("link", name="Daftar KK").click()
    first = phone.locator("[data-household]").first
    kk = re.search(r"KK (\d{16})", first.inner_text()).group(1)
    fits(phone)
    first.get_by_role("button", name="Survei").click()
    phone.wait_for_url(re.compile(r"/survei/\d+"))
    draft_url = phone.url
    phone.go_back()
    phone.locator("[data-household]", has_text=kk).get_by_role("button", name="Survei").click()
    phone.wait_for_url(re.compile(r"/survei/\d+"))
    assert phone.url == draft_url
    with live_app.app_context():
        drafts = db.session.scalars(
            sa.select(Survey).where(Survey.kk_number == kk, Survey.status == "draft")
        ).all()
        assert len(drafts) == 1
        draft_id = drafts[0].id
    phone.goto(live_server + "/survei/")
    row = phone.locator(f'[data-draft="{draft_id}"]')
    expect(row).to_contain_text(f"KK {kk}")
    expect(row).not_to_contain_text("KK belum diisi")
    phone.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Buang draf").click()
    expect(phone.get_by_text(f"Draf #{draft_id} dibuang.")).to_be_visible()
    expect(phone.locator(f'[data-draft="{draft_id}"]')).to_have_count(0)
    with live_app.app_context():
        assert db.session.get(Survey, draft_id) is None


def test_a_refused_public_answer_stays_in_the_box(phone, live_server, live_app):
    from nutera.complaints.services import ComplaintInput, file_complaint, local_today
    from nutera.models import Kelurahan

    with live_app.app_context():
        kelurahan = db.session.scalar(sa.select(Kelurahan))
        complaint = file_complaint(
            db.session,
            ComplaintInput(
                kelurahan_id=kelurahan.id,
                rt_id=None,
                category="tidak_terima",
                description="Bantuan bulan ini belum sampai ke rumah kami.",
                subject_name="",
                subject_nik=None,
                subject_address="",
                reporter_name="Bu Yati",
                reporter_phone="",
                anonymous=False,
                confidential=False,
            ),
            [],
            local_today(),
            set(),
        )
        db.session.commit()
        complaint_id = complaint.id
    sign_in(phone, live_server, "petugas", live_app.demo_accounts["petugas"])
    phone.goto(f"{live_server}/meja-pengaduan/{complaint_id}")
    # Before verification a public answer is not offered: disabled, with the reason.
    expect(phone.locator("#public")).to_be_disabled()
    expect(phone.locator("#public-refusal")).to_contain_text("Verifikasi pengaduan dulu")
    phone.get_by_role("button", name="Verifikasi").click()
    expect(phone.locator("#public")).to_be_enabled()

    answer = "Ibu, bantuan akan kami cek ke kantor pos minggu ini."
    phone.get_by_label("Tulis catatan atau jawaban").fill(answer)
    phone.locator("#public").check()
    with live_app.app_context():  # meanwhile a colleague rejects the complaint
        from nutera.models import Complaint

        db.session.get(Complaint, complaint_id).status = "ditolak"
        db.session.commit()
    phone.get_by_role("button", name="Simpan").last.click()
    expect(phone.locator('[data-refused="note"]')).to_contain_text(
        "Pengaduan sudah ditutup; tidak dapat dijawab lagi secara publik."
    )
    expect(phone.get_by_label("Tulis catatan atau jawaban")).to_have_value(answer)
    fits(phone)
