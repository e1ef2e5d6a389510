"""Invitations, receipts and the event report: the text inside the generated PDFs."""

import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from nutera.extensions import db
from nutera.models import DistributionRecipient, Handover, Person
from tests.factories_distribution import handover_form, make_event


@pytest.fixture
def received(app, world, client, login_as, tmp_path):
    """An event of two recipients where SITI AMINAH received through a proxy."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    with app.app_context():
        event_id = make_event(db.session, world)
        db.session.commit()
        recipient = db.session.scalar(
            sa.select(DistributionRecipient.id).where(
                DistributionRecipient.person_id == world.person_ids["assigned"]
            )
        )
        nik = db.session.get(Person, world.person_ids["assigned"]).nik
    login_as("staff")
    from tests.factories import make_nik

    response = client.post(
        f"/penyaluran/{event_id}/serah-terima/{recipient}",
        data=handover_form(
            proxy="y", proxy_name="ANDI WIJAYA", proxy_nik=make_nik(), proxy_relation="anak"
        ),
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201
    return event_id, response.get_json()["handover_id"], nik


def pdf_text(response) -> tuple[str, PdfReader]:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def test_receipt_names_recipient_time_officer_proxy_and_hash(client, app, received):
    event_id, handover_id, nik = received
    text, reader = pdf_text(client.get(f"/penyaluran/catatan/{handover_id}/tanda-terima.pdf"))
    with app.app_context():
        record = db.session.get(Handover, handover_id)
        chain_hash = record.hash
    assert "TANDA TERIMA BANTUAN" in text
    assert "SITI AMINAH" in text and "Petugas" in text and "Beras 10 kg" in text
    assert "Diwakilkan" in text and "ANDI WIJAYA" in text
    assert nik not in text and nik[:6] + "******" + nik[12:] in text
    assert chain_hash in text.replace("\n", "")
    assert len(reader.pages[0].images) == 2  # photo and signature


def test_report_lists_everyone_with_totals_and_thumbnails(client, received):
    event_id, _, nik = received
    text, reader = pdf_text(client.get(f"/penyaluran/{event_id}/berita-acara.pdf"))
    assert "BERITA ACARA SERAH TERIMA BANTUAN" in text
    assert "SITI AMINAH" in text and "BUDI SANTOSO" in text
    assert "Diwakilkan: ANDI WIJAYA" in text and "Belum menerima" in text
    assert nik not in text
    assert sum(len(page.images) for page in reader.pages) == 2  # one photo, one signature


def test_report_totals_are_exact(client, received):
    event_id, _, _ = received
    text, _ = pdf_text(client.get(f"/penyaluran/{event_id}/berita-acara.pdf"))
    lines = [line.strip() for line in text.splitlines()]
    assert "Sudah menerima: 1" in " ".join(lines).replace(" :", ":")
    assert "Belum menerima: 1" in " ".join(lines).replace(" :", ":")
    assert "Penerima terdaftar: 2" in " ".join(lines).replace(" :", ":")


def test_invitations_show_masked_names_and_a_qr_code_only(client, app, received):
    event_id, _, nik = received
    text, reader = pdf_text(client.get(f"/penyaluran/{event_id}/undangan.pdf"))
    with app.app_context():
        tokens = db.session.scalars(sa.select(DistributionRecipient.token)).all()
    assert "UNDANGAN PENGAMBILAN BANTUAN" in text
    assert "SIT* AMI***" in text and "SITI AMINAH" not in text
    assert nik not in text and not any(token in text for token in tokens)
    assert len(reader.pages[0].images) == 2  # one QR code per invitation


def test_one_recipients_invitation(client, app, world, received):
    event_id, _, _ = received
    with app.app_context():
        rid = db.session.scalar(
            sa.select(DistributionRecipient.id).where(
                DistributionRecipient.person_id == world.person_ids["unassigned"]
            )
        )
    text, reader = pdf_text(client.get(f"/penyaluran/{event_id}/undangan/{rid}.pdf"))
    assert "BUD* SAN****" in text and "SIT* AMI***" not in text
    assert len(reader.pages) == 1 and len(reader.pages[0].images) == 1
    assert client.get(f"/penyaluran/{event_id}/undangan/99999.pdf").status_code == 404
