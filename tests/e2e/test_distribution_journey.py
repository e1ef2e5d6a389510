"""On a phone: plan an event, find recipients by NIK and by the invitation's QR code, record a
handover with a photo and a drawn signature, watch progress go up, and be refused a second time."""

import io
import os
import re

import qrcode
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from nutera.extensions import db
from nutera.models import DistributionEvent, DistributionRecipient, Handover, Person


def jpeg_file() -> dict:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 140, 90)).save(out, "JPEG")
    return {"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def qr_file(token: str) -> dict:
    out = io.BytesIO()
    qrcode.make(token, box_size=8, border=4).save(out)
    return {"name": "qr.png", "mimeType": "image/png", "buffer": out.getvalue()}


def sign(page) -> None:
    page.locator("#signature-pad").scroll_into_view_if_needed()
    box = page.locator("#signature-pad").bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 120)
    page.mouse.down()
    for x, y in ((80, 40), (130, 130), (190, 50), (250, 120), (300, 60)):
        page.mouse.move(box["x"] + x, box["y"] + y, steps=8)
    page.mouse.up()


def big_camera_jpeg() -> dict:
    out = io.BytesIO()
    Image.frombytes("RGB", (2400, 1800), os.urandom(2400 * 1800 * 3)).save(out, "JPEG", quality=90)
    return {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def capture(page, photo: dict | None = None) -> None:
    page.get_by_label("KTP/KK penerima (atau wakilnya) sudah dicocokkan").check()
    page.locator("#photo").set_input_files(photo or jpeg_file())
    sign(page)
    page.get_by_role("button", name="Simpan serah terima").click()


def test_officer_records_a_handover_once(phone, live_server, live_app):
    phone.goto(live_server + "/login")
    phone.get_by_label("Nama pengguna").fill("petugas")
    phone.get_by_label("Kata sandi").fill(live_app.demo_accounts["petugas"])
    phone.get_by_role("button", name="Masuk").click()

    phone.goto(live_server + "/penyaluran/baru")
    phone.get_by_label("Program").select_option(label="PKH - Program Keluarga Harapan")
    phone.get_by_label("Tahap").fill("Tahap uji e2e")
    phone.get_by_label("Tanggal").fill("2026-11-22")
    phone.get_by_label("Tempat").fill("Aula Kelurahan")
    phone.get_by_label("Bantuan per penerima").fill("Beras 10 kg")
    phone.get_by_role("button", name="Buat acara dan daftar penerima").click()
    expect(phone.get_by_text("Acara dibuat dengan 1073 penerima.")).to_be_visible()
    expect(phone.locator('[data-progress="received"]')).to_have_text("0")
    expect(phone.locator('[data-progress="total"]')).to_have_text("1.073")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    with live_app.app_context():
        event_id = db.session.scalar(
            sa.select(DistributionEvent.id).where(DistributionEvent.period == "Tahap uji e2e")
        )
        (name, nik), (qr_name, qr_recipient_id, token) = (
            db.session.execute(
                sa.select(Person.name, Person.nik)
                .join(DistributionRecipient, DistributionRecipient.person_id == Person.id)
                .where(DistributionRecipient.event_id == event_id)
                .order_by(DistributionRecipient.id)
                .limit(1)
            ).one(),
            db.session.execute(
                sa.select(Person.name, DistributionRecipient.id, DistributionRecipient.token)
                .join(DistributionRecipient, DistributionRecipient.person_id == Person.id)
                .where(DistributionRecipient.event_id == event_id)
                .order_by(DistributionRecipient.id.desc())
                .limit(1)
            ).one(),
        )

    # Find the first recipient by NIK, record the handover.
    phone.get_by_role("link", name="Mulai serah terima").click()
    phone.get_by_label("Cari penerima (NIK lengkap atau nama)").fill(nik)
    phone.get_by_role("button", name="Cari").click()
    expect(phone.get_by_text(name, exact=True)).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_role("link", name="Serahkan").click()
    expect(phone.locator("[data-recipient-name]")).to_have_text(name)
    form_url = phone.url
    # A second phone opens the same recipient's form before the first one saves.
    second = phone.context.new_page()
    second.set_viewport_size({"width": 360, "height": 740})
    second.goto(form_url)
    capture(phone)
    success = phone.locator("[data-result]")
    expect(success).to_contain_text("Serah terima tercatat pada")
    expect(phone.locator('[data-progress="received"]')).to_have_text("1")
    expect(phone.get_by_role("link", name="Penerima berikutnya").first).to_be_visible()
    received_at = re.search(r"pada (.+) WIB", success.inner_text()).group(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    # The event page shows the progress too.
    phone.goto(f"{live_server}/penyaluran/{event_id}")
    expect(phone.locator('[data-progress="received"]')).to_have_text("1")

    # The second phone's attempt for the same recipient is refused with the earlier time.
    capture(second)
    expect(second.locator("[data-result]")).to_contain_text(
        f"Ditolak: bantuan sudah diterima pada {received_at} WIB, "
        "dicatat oleh Rina Petugas Tamansari."
    )
    second.close()
    # Opened again, the recipient shows the earlier handover instead of the form.
    phone.goto(form_url)
    expect(phone.locator("[data-earlier-handover]")).to_contain_text(received_at)
    expect(phone.locator("[data-handover-form]")).to_have_count(0)

    # Another recipient is found by photographing the QR code of the invitation.
    phone.goto(f"{live_server}/penyaluran/{event_id}/serah-terima")
    phone.locator("[data-scan-photo]").set_input_files(qr_file(token))
    expect(phone.locator("[data-recipient-name]")).to_have_text(qr_name)
    assert phone.url.endswith(f"/penyaluran/{event_id}/serah-terima/{qr_recipient_id}")

    with live_app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Handover.id)).where(Handover.event_id == event_id)
            )
            == 1
        )


def test_a_handover_captured_offline_is_kept_and_sent_when_back_online(
    phone, live_server, live_app
):
    from datetime import date

    from nutera.distribution.services import create_event
    from nutera.models import AidProgram, User

    with live_app.app_context():
        staff = db.session.scalar(sa.select(User).where(User.username == "petugas"))
        program = db.session.scalar(sa.select(AidProgram).where(AidProgram.code == "BST"))
        event_id = create_event(
            db.session,
            staff,
            program,
            period="Tahap uji luring",
            event_date=date(2026, 11, 23),
            place="Balai RW 02",
            goods="Uang tunai",
            amount=600_000,
            volunteer_ids=[],
        ).id
        db.session.commit()
        recipient_id = db.session.scalar(
            sa.select(DistributionRecipient.id)
            .where(DistributionRecipient.event_id == event_id)
            .order_by(DistributionRecipient.id)
            .limit(1)
        )
    phone.goto(live_server + "/login")
    phone.get_by_label("Nama pengguna").fill("petugas")
    phone.get_by_label("Kata sandi").fill(live_app.demo_accounts["petugas"])
    phone.get_by_role("button", name="Masuk").click()
    phone.goto(f"{live_server}/penyaluran/{event_id}/serah-terima/{recipient_id}")

    phone.context.set_offline(True)
    photo = big_camera_jpeg()
    capture(phone, photo)
    expect(phone.locator("[data-result]")).to_contain_text(
        "Belum terkirim: data disimpan di ponsel dan akan dikirim ulang otomatis."
    )
    # Kept on the phone, shrunk to at most 1280 px (photo-shrink.js) before it was stored.
    kept = phone.evaluate("""() => new Promise(resolve => {
        const r = indexedDB.open('nutera-offline');
        r.onsuccess = () => {
            const q = r.result.transaction('outbox').objectStore('outbox').getAll();
            q.onsuccess = () => createImageBitmap(q.result[0].blobs[0].blob).then(b =>
                resolve({count: q.result.length, width: b.width,
                         size: q.result[0].blobs[0].blob.size}));
        };
    })""")
    assert kept["count"] == 1 and kept["width"] == 1280
    assert 0 < kept["size"] < len(photo["buffer"])

    phone.context.set_offline(False)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(phone.locator('[data-progress="received"]')).to_have_text("1")
    with live_app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Handover.id)).where(Handover.event_id == event_id)
            )
            == 1
        )
