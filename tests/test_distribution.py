"""Distribution events and handover capture through the real views."""

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import (
    DistributionEvent,
    DistributionRecipient,
    Handover,
    Person,
    event_volunteer,
)
from tests.factories_distribution import handover_form, make_event, signature_png


@pytest.fixture(autouse=True)
def own_upload_folder(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")


@pytest.fixture
def event_id(app, world):
    with app.app_context():
        built = make_event(db.session, world)
        db.session.commit()
        return built


def recipient_ids(app, event_id):
    with app.app_context():
        return dict(
            db.session.execute(
                sa.select(DistributionRecipient.person_id, DistributionRecipient.id).where(
                    DistributionRecipient.event_id == event_id
                )
            ).all()
        )


def post_handover(client, event_id, recipient_id, **kwargs):
    return client.post(
        f"/penyaluran/{event_id}/serah-terima/{recipient_id}",
        data=handover_form(**kwargs),
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )


def handovers(app):
    with app.app_context():
        return list(db.session.scalars(sa.select(Handover).order_by(Handover.seq)))


def test_recipients_are_the_active_enrollments_with_unguessable_tokens(app, world):
    from nutera.models import AidProgram, Household
    from tests import factories

    with app.app_context():
        event_id = make_event(db.session, world, households=("assigned",))
        program = db.session.get(
            AidProgram, db.session.get(DistributionEvent, event_id).program_id
        )
        factories.enroll(
            db.session,
            program,
            db.session.get(Household, world.household_ids["unassigned"]),
            status="ditangguhkan",
        )
        db.session.commit()
        rows = db.session.scalars(sa.select(DistributionRecipient)).all()
    assert [r.person_id for r in rows] == [world.person_ids["assigned"]]  # the KK head
    assert len(rows[0].token) >= 20 and not rows[0].token.isdigit()


def test_staff_creates_an_event_through_the_form(client, login_as, app, world):
    from nutera.models import Household, Kelurahan
    from tests import factories

    with app.app_context():
        program = factories.make_program(db.session, db.session.get(Kelurahan, world.kelurahan_id))
        factories.enroll(
            db.session, program, db.session.get(Household, world.household_ids["assigned"])
        )
        db.session.commit()
        program_id = program.id
    login_as("staff")
    response = client.post(
        "/penyaluran/baru",
        data={
            "program_id": program_id,
            "period": "Tahap 4 2026",
            "event_date": "2026-11-22",
            "place": "Aula",
            "goods": "Beras 10 kg",
            "amount": "",
            "volunteer_ids": [world.user_ids["volunteer"]],
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "Sudah menerima" in page.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(sa.select(DistributionEvent))
        assert [v.id for v in event.volunteers] == [world.user_ids["volunteer"]]
    assert len(recipient_ids(app, event.id)) == 1


def test_event_form_errors_are_shown_in_indonesian(client, login_as):
    login_as("staff")
    response = client.post("/penyaluran/baru", data={"period": "", "place": ""})
    assert response.status_code == 200
    assert "Tahap wajib diisi." in response.get_data(as_text=True)


def test_volunteers_only_reach_events_assigned_to_them(client, login_as, app, world, event_id):
    login_as("volunteer")
    assert client.get(f"/penyaluran/{event_id}").status_code == 404
    assert client.get(f"/penyaluran/{event_id}/serah-terima").status_code == 404
    with app.app_context():
        db.session.execute(
            sa.insert(event_volunteer).values(
                event_id=event_id, user_id=world.user_ids["volunteer"]
            )
        )
        db.session.commit()
    assert client.get(f"/penyaluran/{event_id}/serah-terima").status_code == 200
    assert client.get(f"/penyaluran/{event_id}/berita-acara.pdf").status_code == 403


def test_staff_of_another_kelurahan_gets_404(client, login_as, event_id):
    login_as("other_staff")
    assert client.get(f"/penyaluran/{event_id}").status_code == 404
    assert client.get(f"/penyaluran/{event_id}/progres").status_code == 404


def test_handover_is_recorded_with_hashed_evidence_and_progress(
    client, login_as, app, world, event_id
):
    login_as("staff")
    recipient = recipient_ids(app, event_id)[world.person_ids["assigned"]]
    response = post_handover(client, event_id, recipient)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["received"] == 1 and response.get_json()["total"] == 2
    [record] = handovers(app)
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert (
        hashlib.sha256((folder / record.photo_path).read_bytes()).hexdigest()
        == record.photo_sha256
    )
    assert (
        hashlib.sha256((folder / record.signature_path).read_bytes()).hexdigest()
        == record.signature_sha256
    )
    assert record.signature_path.endswith(".png") and record.photo_path.endswith(".jpg")
    assert str(record.latitude) == "-6.901234" and record.gps_accuracy_m == 12
    assert record.officer_id == world.user_ids["staff"] and record.seq == 1
    assert client.get(f"/penyaluran/{event_id}/progres").get_json() == {
        "received": 1,
        "total": 2,
        "percent": 50,
    }


def test_second_handover_is_refused_naming_when_and_by_whom(
    client, login_as, app, world, event_id
):
    login_as("staff")
    recipient = recipient_ids(app, event_id)[world.person_ids["assigned"]]
    assert post_handover(client, event_id, recipient, key="a" * 32).status_code == 201
    response = post_handover(client, event_id, recipient, key="b" * 32)
    assert response.status_code == 409
    body = response.get_json()
    assert body["officer"] == "Petugas" and body["received_at"] in body["message"]
    assert body["message"].startswith("Ditolak: bantuan sudah diterima pada")
    assert len(handovers(app)) == 1
    # The capture page now says so too.
    page = client.get(f"/penyaluran/{event_id}/serah-terima/{recipient}").get_data(as_text=True)
    assert "Bantuan sudah diterima pada" in page
    # The evidence files of the refused attempt were not left behind.
    assert len(list(Path(app.config["UPLOAD_FOLDER"], "handover").rglob("*.*"))) == 2


def test_retry_after_a_lost_response_does_not_record_twice(client, login_as, app, world, event_id):
    login_as("staff")
    recipient = recipient_ids(app, event_id)[world.person_ids["assigned"]]
    first = post_handover(client, event_id, recipient, key="c" * 32)
    retry = post_handover(client, event_id, recipient, key="c" * 32)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.get_json()["status"] == "already_recorded"
    assert retry.get_json()["handover_id"] == first.get_json()["handover_id"]
    assert len(handovers(app)) == 1


def test_identity_must_be_checked_first(client, login_as, app, world, event_id):
    login_as("staff")
    recipient = recipient_ids(app, event_id)[world.person_ids["assigned"]]
    response = post_handover(client, event_id, recipient, identity_checked="")
    assert response.status_code == 422
    assert response.get_json()["errors"]["identity_checked"] == [
        "Cocokkan dulu identitas dengan KTP/KK."
    ]
    assert handovers(app) == []


def test_a_script_renamed_jpg_is_refused(client, login_as, app, world, event_id):
    login_as("staff")
    recipient = recipient_ids(app, event_id)[world.person_ids["assigned"]]
    response = post_handover(client, event_id, recipient, photo=b"<script>alert(1)</script>")
    assert response.status_code == 422
    assert "bukan gambar yang valid" in response.get_json()["errors"]["photo"][0]
    assert handovers(app) == []
    assert not list(Path(app.config["UPLOAD_FOLDER"]).rglob("handover*/**/*.*"))


def test_an_oversized_photo_is_refused(client, login_as, app, world, event_id):
    app.config["DISTRIBUTION_PHOTO_MAX_BYTES"] = 50_000
    login_as("staff")
    recipient = recipient_ids(app, event_id)[world.person_ids["assigned"]]
    import os
    from io import BytesIO

    from PIL import Image

    noisy = BytesIO()
    Image.frombytes("RGB", (600, 600), os.urandom(600 * 600 * 3)).save(noisy, "JPEG", quality=95)
    assert len(noisy.getvalue()) > 50_000
    response = post_handover(client, event_id, recipient, photo=noisy.getvalue())
    assert response.status_code == 422
    assert "terlalu besar" in response.get_json()["errors"]["photo"][0]
    assert handovers(app) == []


@pytest.mark.parametrize("signature", [signature_png(drawn=False), None])
def test_an_empty_signature_is_refused(client, login_as, app, world, event_id, signature):
    login_as("staff")
    recipient = recipient_ids(app, event_id)[world.person_ids["assigned"]]
    if signature is None:  # a single dot is no signature either
        from io import BytesIO

        from PIL import Image, ImageDraw

        image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
        ImageDraw.Draw(image).ellipse((100, 100, 104, 104), fill=(0, 0, 0, 255))
        out = BytesIO()
        image.save(out, "PNG")
        signature = out.getvalue()
    response = post_handover(client, event_id, recipient, signature=signature)
    assert response.status_code == 422
    assert "Tanda tangan kosong" in response.get_json()["errors"]["signature"][0]
    assert handovers(app) == []


def test_a_missing_signature_needs_a_thumbprint(client, login_as, app, world, event_id):
    login_as("staff")
    recipient = recipient_ids(app, event_id)[world.person_ids["assigned"]]
    refused = post_handover(client, event_id, recipient, signature=False)
    assert refused.status_code == 422 and "signature" in refused.get_json()["errors"]
    accepted = post_handover(client, event_id, recipient, signature=False, thumbprint="y")
    assert accepted.status_code == 201
    [record] = handovers(app)
    assert record.thumbprint and record.signature_path is None


def test_proxy_pickup_records_name_nik_and_relation(client, login_as, app, world, event_id):
    from datetime import date

    from tests.factories import make_nik

    login_as("staff")
    recipient = recipient_ids(app, event_id)[world.person_ids["assigned"]]
    refused = post_handover(
        client,
        event_id,
        recipient,
        proxy="y",
        proxy_name="ANDI",
        proxy_nik="1234",
        proxy_relation="anak",
    )
    assert refused.status_code == 422
    assert "16 digit" in refused.get_json()["errors"]["proxy_nik"][0]
    nik = make_nik(date(2001, 5, 5), "L")
    accepted = post_handover(
        client,
        event_id,
        recipient,
        proxy="y",
        proxy_name="ANDI WIJAYA",
        proxy_nik=f"{nik[:6]}.{nik[6:12]}.{nik[12:]}",
        proxy_relation="anak",
    )
    assert accepted.status_code == 201, accepted.get_json()
    [record] = handovers(app)
    assert (record.proxy_name, record.proxy_nik, record.proxy_relation) == (
        "ANDI WIJAYA",
        nik,
        "anak",
    )
    detail = client.get(f"/penyaluran/catatan/{record.id}").get_data(as_text=True)
    assert "ANDI WIJAYA" in detail and nik not in detail  # the proxy's NIK is masked


def test_evidence_is_served_only_to_staff_in_scope(client, auth, login_as, app, world, event_id):
    login_as("staff")
    recipient = recipient_ids(app, event_id)[world.person_ids["assigned"]]
    handover_id = post_handover(client, event_id, recipient).get_json()["handover_id"]
    photo = client.get(f"/penyaluran/catatan/{handover_id}/foto")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers["Cache-Control"] == "private, no-store"
    assert client.get(f"/penyaluran/catatan/{handover_id}/ttd").mimetype == "image/png"
    auth.logout()
    assert client.get(f"/penyaluran/catatan/{handover_id}/foto").status_code == 302
    login_as("other_staff")
    assert client.get(f"/penyaluran/catatan/{handover_id}/foto").status_code == 404
    auth.logout()
    login_as("volunteer")
    assert client.get(f"/penyaluran/catatan/{handover_id}/foto").status_code == 403


def test_a_correction_is_a_new_row_referencing_the_old_one(client, login_as, app, world, event_id):
    login_as("staff")
    recipient = recipient_ids(app, event_id)[world.person_ids["assigned"]]
    original_id = post_handover(client, event_id, recipient).get_json()["handover_id"]
    original_hash = handovers(app)[0].hash
    no_reason = client.post(
        f"/penyaluran/catatan/{original_id}/koreksi",
        data=handover_form(key="d" * 32),
        headers={"Accept": "application/json"},
    )
    assert no_reason.status_code == 422 and "note" in no_reason.get_json()["errors"]
    response = client.post(
        f"/penyaluran/catatan/{original_id}/koreksi",
        data=handover_form(key="e" * 32, note="Foto pertama buram"),
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201, response.get_json()
    first, second = handovers(app)
    assert first.hash == original_hash and first.corrects_id is None
    assert second.corrects_id == first.id and second.prev_hash == first.hash
    assert client.get(f"/penyaluran/{event_id}/progres").get_json()["received"] == 1


def test_search_by_full_nik_or_name_never_by_partial_nik(client, login_as, app, world, event_id):
    with app.app_context():
        nik = db.session.get(Person, world.person_ids["assigned"]).nik
    login_as("staff")
    url = f"/penyaluran/{event_id}/serah-terima"
    assert "SITI AMINAH" in client.get(url, query_string={"q": nik}).get_data(as_text=True)
    assert "SITI AMINAH" in client.get(url, query_string={"q": "aminah"}).get_data(as_text=True)
    partial = client.get(url, query_string={"q": nik[:10]}).get_data(as_text=True)
    assert "SITI AMINAH" not in partial and "Tidak ada penerima yang cocok" in partial
    # The page shows a masked NIK only.
    assert nik not in client.get(url, query_string={"q": "aminah"}).get_data(as_text=True)


def test_invitation_token_opens_the_recipient(client, login_as, app, world, event_id):
    with app.app_context():
        recipient = db.session.scalar(
            sa.select(DistributionRecipient).where(
                DistributionRecipient.person_id == world.person_ids["assigned"]
            )
        )
        token, rid = recipient.token, recipient.id
    login_as("staff")
    response = client.get(f"/penyaluran/{event_id}/serah-terima", query_string={"token": token})
    assert response.headers["Location"].endswith(f"/penyaluran/{event_id}/serah-terima/{rid}")
    unknown = client.get(
        f"/penyaluran/{event_id}/serah-terima",
        query_string={"token": "x" * 22},
        follow_redirects=True,
    )
    assert "Kode QR tidak dikenal" in unknown.get_data(as_text=True)


def test_event_list_shows_only_what_the_viewer_may_open(
    client, auth, login_as, app, world, event_id
):
    login_as("staff")
    assert "Tahap 4 2026" in client.get("/penyaluran/").get_data(as_text=True)
    auth.logout()
    login_as("volunteer")
    page = client.get("/penyaluran/").get_data(as_text=True)
    assert "Tahap 4 2026" not in page and "yang ditugaskan kepada Anda" in page
    auth.logout()
    login_as("other_staff")
    assert "Tahap 4 2026" not in client.get("/penyaluran/").get_data(as_text=True)


def test_an_assigned_volunteer_records_a_handover(client, login_as, app, world, event_id):
    with app.app_context():
        db.session.execute(
            sa.insert(event_volunteer).values(
                event_id=event_id, user_id=world.user_ids["volunteer"]
            )
        )
        db.session.commit()
    login_as("volunteer")
    # Volunteers serve the recipients of their own RTs (#12: one scoping rule): the RW 02
    # recipient does not exist for the RT 01/RW 01 volunteer.
    outside = recipient_ids(app, event_id)[world.person_ids["unassigned"]]
    assert post_handover(client, event_id, outside).status_code == 404
    assert client.get(f"/penyaluran/{event_id}/serah-terima/{outside}").status_code == 404
    recipient = recipient_ids(app, event_id)[world.person_ids["assigned"]]
    response = post_handover(client, event_id, recipient)
    assert response.status_code == 201
    [record] = handovers(app)
    assert record.officer_id == world.user_ids["volunteer"]
    # Volunteers capture; the evidence and its PDFs stay with staff.
    assert client.get(f"/penyaluran/catatan/{record.id}").status_code == 403
