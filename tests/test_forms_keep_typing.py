"""Refused staff actions come back with what was typed and why; refused ones are not offered."""

import re

import pytest
import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import ComplaintNote, Survey, User
from tests.factories_complaints import rt_id
from tests.test_complaints_desk import DESK, load, new_complaint, post_status
from tests.test_surveys_verification import resurvey_of_assigned, submit_as_volunteer


@pytest.fixture
def survey_rt_id(app, world):
    with app.app_context():
        return db.session.get(User, world.user_ids["volunteer"]).assigned_rts[0].id


ANSWER = "Bantuan Ibu akan dicek ulang minggu depan oleh petugas."


def test_public_answer_before_verification_keeps_the_typed_answer(client, app, world, login_as):
    complaint_id, _ = new_complaint(app, world)
    login_as("staff")
    response = client.post(f"{DESK}/{complaint_id}/catatan", data={"body": ANSWER, "public": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Verifikasi pengaduan dulu sebelum menjawab secara publik." in page
    assert f"{ANSWER}</textarea>" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ComplaintNote.id))) == 0


def test_actions_the_state_refuses_are_disabled_with_the_reason(client, app, world, login_as):
    with app.app_context():
        rt = rt_id(db.session, world.kelurahan_id, 1, 2)
    complaint_id, _ = new_complaint(app, world, category="usul", rt_id=rt)
    login_as("staff")
    page = client.get(f"{DESK}/{complaint_id}").get_data(as_text=True)
    assert 'type="submit" disabled aria-describedby="convert-refusal">Jadikan tugas' in page
    assert "Pengaduan harus sudah diverifikasi dulu." in page
    public_box = re.search(r'<input[^>]*id="public"[^>]*>', page).group(0)
    assert "disabled" in public_box and 'aria-describedby="public-refusal"' in public_box
    post_status(client, complaint_id, "terverifikasi")
    page = client.get(f"{DESK}/{complaint_id}").get_data(as_text=True)
    assert "convert-refusal" not in page and "public-refusal" not in page
    assert load(app, complaint_id).status == "terverifikasi"


def test_refused_rejection_keeps_the_form(client, app, world, login_as):
    complaint_id, _ = new_complaint(app, world)
    login_as("staff")
    response = client.post(
        f"{DESK}/{complaint_id}/status", data={"status": "ditolak", "reason": "   "}
    )
    assert response.status_code == 422
    assert "Alasan penolakan wajib diisi." in response.get_data(as_text=True)


def test_refused_survey_decision_keeps_the_note(client, auth, app, world, survey_rt_id):
    survey_id = submit_as_volunteer(client, auth, survey_rt_id, resurvey_of_assigned(app, world))
    auth.login("petugas")
    with app.app_context():
        db.session.execute(sa.update(Survey).values(status="verified"))  # decided meanwhile
        db.session.commit()
    note = "Foto rumah kurang jelas, mohon diulang."
    response = client.post(
        f"/survei/{survey_id}/keputusan", data={"action": "return", "note": note}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "tidak sedang menunggu verifikasi" in page and f"{note}</textarea>" in page
