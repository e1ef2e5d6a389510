"""Survey lists, the XLSX export, and who may see which survey and photo."""

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from nutera.extensions import db
from nutera.models import Kelurahan, Survey, User
from nutera.storage import save_image
from nutera.surveys.queries import SurveyFilters
from nutera.timeutil import local_today, to_local, utcnow
from tests.factories import make_user, rt_of
from tests.factories_surveys import make_survey
from tests.test_surveys_form import jpeg


@pytest.fixture
def surveys(app, world):
    """Three Tamansari surveys (RW 01 submitted, RW 01 verified, RW 02 by a second volunteer)
    and one in Lebakgede; returns their ids by key."""
    with app.app_context():
        tamansari = db.session.get(Kelurahan, world.kelurahan_id)
        lebakgede = db.session.get(Kelurahan, world.other_kelurahan_id)
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        second = make_user(db.session, "relawan.dua", "volunteer", tamansari)
        stranger = make_user(db.session, "relawan.lain", "volunteer", lebakgede)
        # Issued 2 June 2015: make_kk numbers (1 June) never collide, whatever ran first.
        ids = {
            "mine": make_survey(
                db.session, volunteer, rt_of(tamansari, 1, 1), kk="3273020206150101"
            ),
            "verified": make_survey(
                db.session, volunteer, rt_of(tamansari, 1, 1), status="verified"
            ),
            "rw2": make_survey(db.session, second, rt_of(tamansari, 2, 1), kk="3273020206150102"),
            "other": make_survey(
                db.session, stranger, rt_of(lebakgede, 1, 1), kk="3273030206150103"
            ),
        }
        ids["mine"].house_photo = save_image(io.BytesIO(jpeg()), "survey").path
        old = ids["rw2"]
        old.submitted_at = datetime.now(UTC) - timedelta(days=40)
        db.session.commit()
        return {key: s.id for key, s in ids.items()}


def listed(client, query="") -> set[int]:
    page = client.get("/survei/daftar" + query).get_data(as_text=True)
    return {
        int(chunk.split('"')[0])
        for chunk in page.split('href="/survei/')[1:]
        if chunk.split('"')[0].isdigit()
    }


def test_staff_see_their_kelurahan_only_and_can_filter(client, login_as, surveys, app, world):
    login_as("staff")
    assert listed(client) == {surveys["mine"], surveys["verified"], surveys["rw2"]}
    assert listed(client, "?rw=2") == {surveys["rw2"]}
    assert listed(client, "?rw=1&rt=1&status=verified") == {surveys["verified"]}
    # The filter's days are the kelurahan's own (WIB), not the server's UTC date.
    with app.app_context():
        kelurahan = db.session.get(Kelurahan, world.kelurahan_id)
        today = local_today(kelurahan)
        other_day = to_local(utcnow() - timedelta(days=40), kelurahan).date().isoformat()
    assert listed(client, f"?dari={today.isoformat()}") == {surveys["mine"], surveys["verified"]}
    assert listed(client, f"?dari={other_day}&sampai={other_day}") == {surveys["rw2"]}
    assert client.get(f"/survei/{surveys['other']}").status_code == 404


def test_filter_by_volunteer(client, login_as, surveys, app):
    login_as("staff")
    with app.app_context():
        second_id = db.session.scalar(sa.select(User.id).where(User.username == "relawan.dua"))
    assert listed(client, f"?volunteer={second_id}") == {surveys["rw2"]}


def test_volunteer_sees_only_own_surveys_in_own_rts(client, login_as, surveys):
    login_as("volunteer")
    assert listed(client) == {surveys["mine"], surveys["verified"]}
    assert client.get(f"/survei/{surveys['rw2']}").status_code == 404
    assert client.get(f"/survei/{surveys['other']}").status_code == 404
    assert client.get(f"/survei/{surveys['rw2']}/foto").status_code == 404
    assert client.get("/survei/verifikasi").status_code == 403
    assert client.post(f"/survei/{surveys['mine']}/setujui").status_code == 403


def test_photo_is_served_in_scope_only(client, auth, surveys):
    auth.login("petugas")
    assert client.get(f"/survei/{surveys['mine']}/foto").status_code == 200
    auth.logout()
    auth.login("petugas.lain")
    assert client.get(f"/survei/{surveys['mine']}/foto").status_code == 404


def test_staff_of_another_kelurahan_cannot_see_or_decide(client, login_as, surveys, app):
    login_as("other_staff")
    assert client.get(f"/survei/{surveys['mine']}").status_code == 404
    assert client.get(f"/survei/{surveys['mine']}/foto").status_code == 404
    assert client.post(f"/survei/{surveys['mine']}/setujui").status_code == 404
    assert (
        client.post(
            f"/survei/{surveys['mine']}/keputusan", data={"action": "reject", "note": "x"}
        ).status_code
        == 404
    )
    client.post("/survei/verifikasi/bersih", data={"survey_id": [surveys["mine"]]})
    with app.app_context():
        assert db.session.get(Survey, surveys["mine"]).status == "submitted"
    assert listed(client) == {surveys["other"]}


def test_photo_needs_sign_in(client, surveys):
    response = client.get(f"/survei/{surveys['mine']}/foto")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_other_volunteers_draft_cannot_be_autosaved(client, login_as, surveys):
    login_as("volunteer")
    response = client.post(f"/survei/{surveys['rw2']}/draf", json={"fields": []})
    assert response.status_code == 404


def test_xlsx_export_follows_the_filters_and_keeps_kk_as_text(client, login_as, surveys):
    login_as("staff")
    response = client.get("/survei/daftar.xlsx?rw=1")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(response.data)).get_sheet_by_index(0).to_python()
    )
    assert rows[0][:3] == ["No. survei", "Nomor KK", "RW"]
    assert {int(r[0]) for r in rows[1:]} == {surveys["mine"], surveys["verified"]}
    assert "3273020206150101" in [r[1] for r in rows[1:]]


def test_volunteers_cannot_export(client, login_as, surveys):
    login_as("volunteer")
    assert client.get("/survei/daftar.xlsx").status_code == 403


def test_filters_ignore_what_does_not_parse():
    from werkzeug.datastructures import MultiDict

    filters = SurveyFilters.from_args(MultiDict({"rw": "x", "dari": "kemarin", "status": ""}))
    assert filters == SurveyFilters()


def test_volunteer_progress_counts_households_of_the_rt(client, login_as, surveys):
    login_as("volunteer")
    page = client.get("/survei/").get_data(as_text=True)
    card = page.split('data-rt="')[1]
    assert '<span class="progress-surveyed">2</span> dari 1 KK' in card
    assert '<span class="progress-verified">1</span>' in card
