"""The handover desk finds people: any household member, KK, invitation code; no repeats."""

import io
from datetime import date, time

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from nutera.distribution.services import create_event
from nutera.extensions import db
from nutera.models import (
    AidProgram,
    DistributionEvent,
    DistributionRecipient,
    Enrollment,
    Household,
    Kelurahan,
    Person,
    User,
)
from tests import factories
from tests.factories_distribution import handover_form

HEAD_NIK = factories.make_nik(date(1978, 5, 9), "L")
WIFE_BIRTH = date(1982, 8, 17)


@pytest.fixture(autouse=True)
def own_upload_folder(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")


@pytest.fixture
def pkh(app, world):
    """A PKH event whose recipient is the wife of a household headed by AHMAD SURYADI."""
    with app.app_context():
        tamansari = db.session.get(Kelurahan, world.kelurahan_id)
        household = factories.make_household(
            db.session,
            factories.rt_of(tamansari, 1, 1),
            [
                {
                    "name": "AHMAD SURYADI",
                    "relation": "kepala",
                    "nik": HEAD_NIK,
                    "birth_date": date(1978, 5, 9),
                },
                {"name": "SRI WAHYUNI", "relation": "istri", "sex": "P", "birth_date": WIFE_BIRTH},
            ],
            kk_number="3273020101010099",
        )
        household.address = "Jl. Tamansari No. 23"
        wife = household.members[1]
        program = factories.make_program(db.session, tamansari)
        db.session.add(
            Enrollment(
                kelurahan_id=tamansari.id,
                program_id=program.id,
                household_id=household.id,
                collector_id=wife.id,
                period_start=date(2026, 1, 1),
            )
        )
        factories.enroll(
            db.session, program, db.session.get(Household, world.household_ids["unassigned"])
        )
        db.session.flush()
        event = create_event(
            db.session,
            db.session.get(User, world.user_ids["staff"]),
            program,
            period="Tahap 4 2026",
            event_date=date(2026, 11, 22),
            place="Aula Kelurahan Tamansari",
            goods="Beras 10 kg",
            amount=None,
            volunteer_ids=[world.user_ids["volunteer"]],
            time_start=time(8, 0),
            time_end=time(11, 30),
        )
        db.session.commit()
        recipient = db.session.scalar(
            sa.select(DistributionRecipient).where(DistributionRecipient.person_id == wife.id)
        )
        return event.id, recipient.id, recipient.token, wife.nik


def desk(client, event_id, query):
    return client.get(f"/penyaluran/{event_id}/serah-terima", query_string={"q": query})


@pytest.mark.parametrize("query", [HEAD_NIK, "ahmad sury", "3273020101010099", "wahyuni"])
def test_desk_finds_the_recipient_by_anyone_of_her_household(client, login_as, pkh, query):
    event_id, recipient_id, _, wife_nik = pkh
    login_as("staff")
    page = desk(client, event_id, query).get_data(as_text=True)
    assert f"/serah-terima/{recipient_id}" in page
    assert "SRI WAHYUNI" in page and "Kepala keluarga: AHMAD SURYADI" in page
    assert f"NIK {wife_nik[:6]}******{wife_nik[12:]}" in page and "lahir 17/08" in page
    assert "RT 01/RW 01" in page and "Jl. Tamansari No. 23" in page
    assert wife_nik not in page and page.count(HEAD_NIK) == (query == HEAD_NIK)  # the box only


def test_desk_finds_by_the_printed_invitation_code(client, login_as, pkh):
    event_id, recipient_id, token, _ = pkh
    login_as("volunteer")
    page = desk(client, event_id, token[:8]).get_data(as_text=True)
    assert f"/serah-terima/{recipient_id}" in page


def test_partial_numbers_and_other_kelurahan_find_nothing(client, login_as, app, world, pkh):
    event_id, recipient_id, _, _ = pkh
    with app.app_context():
        other_nik = db.session.scalar(
            sa.select(Person.nik).where(Person.kelurahan_id == world.other_kelurahan_id)
        )
    login_as("staff")
    for query in (HEAD_NIK[:12], other_nik, "ab"):
        assert f"/serah-terima/{recipient_id}" not in desk(client, event_id, query).get_data(
            as_text=True
        )
    client.post("/logout")
    login_as("other_staff")
    assert desk(client, event_id, HEAD_NIK).status_code == 404


def test_event_list_searches_filters_and_counts(client, login_as, app, pkh):
    event_id, recipient_id, _, _ = pkh
    login_as("staff")
    page = client.get(f"/penyaluran/{event_id}").get_data(as_text=True)
    assert "Semua (2)" in page and "Belum menerima (2)" in page and "Sudah menerima (0)" in page
    found = client.get(f"/penyaluran/{event_id}?q={HEAD_NIK}").get_data(as_text=True)
    assert "1 penerima cocok" in found and found.count("data-recipient-row") == 1
    assert f"q={HEAD_NIK}" in found  # the filter links keep the search
    assert "08.00–11.30 WIB" in found
    post = client.post(
        f"/penyaluran/{event_id}/serah-terima/{recipient_id}",
        data=handover_form(),
        content_type="multipart/form-data",
    )
    assert post.status_code == 201
    done = client.get(f"/penyaluran/{event_id}?status=sudah").get_data(as_text=True)
    assert done.count("data-recipient-row") == 1 and "Sudah menerima (1)" in done
    assert (
        client.get(f"/penyaluran/{event_id}?status=belum&q={HEAD_NIK}")
        .get_data(as_text=True)
        .count("data-recipient-row")
        == 0
    )


def test_after_saving_the_desk_offers_receipt_and_next_and_shows_the_earlier_one(
    client, login_as, app, pkh
):
    event_id, recipient_id, _, _ = pkh
    login_as("volunteer")
    saved = client.post(
        f"/penyaluran/{event_id}/serah-terima/{recipient_id}",
        data=handover_form(),
        content_type="multipart/form-data",
    )
    assert saved.status_code == 201
    body = saved.get_json()
    assert body["next_url"] == f"/penyaluran/{event_id}/serah-terima"
    receipt = client.get(body["receipt_url"])
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"

    again = client.get(f"/penyaluran/{event_id}/serah-terima/{recipient_id}")
    page = again.get_data(as_text=True)
    assert "Bantuan sudah diterima pada" in page and "Relawan" in page
    assert "data-handover-form" not in page and 'name="photo"' not in page
    thumb = f"/penyaluran/catatan/{body['handover_id']}/foto-kecil"
    assert thumb in page and "Penerima berikutnya" in page
    assert client.get(thumb).mimetype == "image/jpeg"
    client.post("/logout")
    login_as("other_staff")
    assert client.get(thumb).status_code == 404
    assert client.get(body["receipt_url"]).status_code == 404


def test_invitations_carry_house_hours_place_and_code(client, login_as, app, pkh):
    event_id, recipient_id, token, _ = pkh
    login_as("staff")
    response = client.get(f"/penyaluran/{event_id}/undangan/{recipient_id}.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Jl. Tamansari No. 23" in text and "RT 01/RW 01" in text
    assert "08.00-11.30 WIB" in text and "Aula Kelurahan Tamansari" in text
    assert f"Kode undangan: {token[:8]}" in text and token not in text


def test_event_form_refuses_hours_that_end_before_they_start(client, login_as, app, pkh):
    with app.app_context():
        program_id = db.session.scalar(sa.select(AidProgram.id))
    login_as("staff")
    response = client.post(
        "/penyaluran/baru",
        data={
            "program_id": program_id,
            "period": "Tahap 5",
            "event_date": "2026-12-01",
            "time_start": "11:00",
            "time_end": "08:00",
            "place": "Aula",
            "goods": "Beras",
        },
    )
    page = response.get_data(as_text=True)
    assert "Jam selesai harus setelah jam mulai." in page and 'value="Tahap 5"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(DistributionEvent.id))) == 1
