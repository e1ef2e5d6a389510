"""The survey form: bad input gives Indonesian errors next to fields, nothing typed is lost."""

import io
from datetime import date

import pytest
import sqlalchemy as sa
from PIL import Image

from nutera.extensions import db
from nutera.models import Household, Kelurahan, Person, Survey, User
from tests.factories import rt_of
from tests.factories_surveys import form_data, make_survey, member


@pytest.fixture
def rt_id(app, world):
    """RT 01/RW 01 of Tamansari, the volunteer's assigned RT."""
    with app.app_context():
        return db.session.get(User, world.user_ids["volunteer"]).assigned_rts[0].id


@pytest.fixture
def fill_url(client, login_as, rt_id):
    """A fresh draft opened by the signed-in volunteer; yields the form URL."""
    login_as("volunteer")
    response = client.post("/survei/mulai", data={"rt_id": rt_id})
    assert response.status_code == 302
    return response.headers["Location"]


def jpeg(size=(50, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 30)).save(out, "JPEG")
    return out.getvalue()


def two_members():
    return [
        member("BUDI SANTOSO", "kepala"),
        member("SITI RAHAYU", "istri", "P", date(1992, 8, 3)),
    ]


def test_valid_survey_is_submitted_with_photo_and_history(client, app, fill_url, rt_id):
    data = form_data(
        rt_id, two_members(), latitude="-6.900123", longitude="107.610456", gps_accuracy_m="12"
    )
    data["photo"] = (io.BytesIO(jpeg()), "rumah.jpg")
    response = client.post(fill_url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Menunggu verifikasi" in page and "KK baru" in page
    with app.app_context():
        survey = db.session.scalar(sa.select(Survey))
        assert survey.status == "submitted" and survey.member_count == 2
        assert [e.status for e in survey.events] == ["draft", "submitted"]
        assert survey.house_photo.startswith("survey/") and survey.draft is None
        assert survey.members[1].name == "SITI RAHAYU" and survey.members[1].sex == "P"
    photo = client.get(f"/survei/{survey.id}/foto")
    assert photo.status_code == 200 and photo.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("kk_number", "12345", "Nomor KK harus 16 digit"),
        ("kk_number", "", "Nomor KK wajib diisi"),
        ("members-0-nik", "3273029913850001", "Tanggal lahir pada NIK tidak mungkin"),
        ("members-0-nik", "99730217059000071", "NIK harus 16 digit"),
        ("members-0-name", "", "Nama wajib diisi."),
        ("address", "", "Alamat wajib diisi."),
        ("kode_pos", "4011", "Kode pos harus 5 digit angka."),
        ("ownership", "", "Pilih status kepemilikan rumah."),
        ("electricity_va", "", "Daya listrik wajib diisi"),
        ("members-1-birth_date", "", "Tanggal lahir wajib diisi."),
        ("members-1-monthly_income", "1.5jt", "Isi dengan angka bulat"),
    ],
)
def test_bad_input_gives_an_indonesian_message_and_keeps_what_was_typed(
    client, fill_url, rt_id, field, value, message
):
    data = form_data(rt_id, two_members())
    data[field] = value
    response = client.post(fill_url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and "is-invalid" in page
    assert (
        'value="SITI RAHAYU"' in page
        and 'value="Gg. Sukamaju No. 7"' in page
        or field == "address"
    )


def test_removed_and_added_rows_survive_a_rejected_submission(client, fill_url, rt_id, app):
    members = two_members() + [
        member("ANAK KETIGA", birth=date(2015, 1, 9)),
        member("ANAK KEEMPAT", birth=date(2018, 4, 2), nik="123"),
    ]
    data = form_data(
        rt_id, members, indices=[0, 2, 5, 9]
    )  # rows 1, 3, 4... removed in the browser
    response = client.post(fill_url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for name in ("BUDI SANTOSO", "SITI RAHAYU", "ANAK KETIGA", "ANAK KEEMPAT"):
        assert f'value="{name}"' in page
    assert page.count('class="card mb-3 member"') == 4 + 1  # four rows and the JS template
    assert "NIK harus 16 digit" in page
    with app.app_context():  # the server draft holds what was posted, for resuming later
        draft = dict(db.session.scalar(sa.select(Survey)).draft)
        assert draft["members-9-name"] == "ANAK KEEMPAT"


def test_nik_birth_date_mismatch_must_be_corrected_or_confirmed(client, fill_url, rt_id, app):
    data = form_data(rt_id, two_members())
    data["members-1-birth_date"] = "1992-08-04"
    page = client.post(fill_url, data=data).get_data(as_text=True)
    assert "Tidak cocok dengan NIK (NIK menunjukkan lahir 03-08-1992)" in page
    data["members-1-confirm_mismatch"] = "y"
    assert client.post(fill_url, data=data).status_code == 302
    with app.app_context():
        survey = db.session.scalar(sa.select(Survey))
        assert survey.members[1].mismatch_confirmed and survey.flag_count == 1


def test_same_nik_twice_in_one_survey_is_refused(client, fill_url, rt_id):
    members = two_members()
    members[1]["nik"] = members[0]["nik"]
    members[1]["sex"], members[1]["birth_date"] = "L", members[0]["birth_date"]
    page = client.post(fill_url, data=form_data(rt_id, members)).get_data(as_text=True)
    assert "NIK ini sudah diisi untuk anggota ke-1 pada survei ini." in page


def test_household_needs_a_head(client, fill_url, rt_id):
    members = [member("ANAK SAJA", "anak")]
    page = client.post(fill_url, data=form_data(rt_id, members)).get_data(as_text=True)
    assert "Satu anggota harus tercatat sebagai kepala keluarga." in page


def test_member_without_ktp_is_recordable_and_flagged(client, fill_url, rt_id, app):
    members = two_members() + [
        member("PENDATANG TANPA KTP", nik="", no_ktp=True, presence="pendatang")
    ]
    assert client.post(fill_url, data=form_data(rt_id, members)).status_code == 302
    with app.app_context():
        survey = db.session.scalar(sa.select(Survey))
        assert survey.members[2].nik is None and not survey.members[2].has_ktp
        assert survey.flag_count == 1


def test_kk_surveyed_this_period_by_someone_else_is_refused(client, fill_url, rt_id, app, world):
    with app.app_context():
        other = db.session.get(User, world.user_ids["staff"])
        rt = db.session.get(User, world.user_ids["volunteer"]).assigned_rts[0]
        earlier = make_survey(db.session, other, rt, kk="3273020106150042")
        db.session.commit()
        earlier_id = earlier.id
    data = form_data(rt_id, two_members(), kk="3273020106150042")
    page = client.post(fill_url, data=data).get_data(as_text=True)
    assert "KK ini sudah didata periode ini. Hubungi petugas kelurahan" in page
    # Not theirs: neither the other person's name nor the survey number reaches them.
    assert "Petugas (" not in page and f"#{earlier_id}" not in page
    assert f'href="/survei/{earlier_id}"' not in page


def test_kk_surveyed_twice_by_the_same_volunteer_links_to_the_first(
    client, fill_url, rt_id, app, world
):
    with app.app_context():
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        household = db.session.get(Household, world.household_ids["assigned"])
        earlier = make_survey(
            db.session, volunteer, volunteer.assigned_rts[0], kk=household.kk_number
        )
        db.session.commit()
        earlier_id, kk = earlier.id, household.kk_number
    page = client.post(fill_url, data=form_data(rt_id, two_members(), kk=kk)).get_data(
        as_text=True
    )
    assert f'<a href="/survei/{earlier_id}" id="kk-link">Lihat survei #{earlier_id}</a>' in page


@pytest.mark.parametrize(
    "photo, message",
    [
        (b"<script>alert(1)</script>", "bukan gambar yang valid"),
        (None, "Foto terlalu besar"),
    ],
)
def test_bad_photos_are_refused(make_app, world, rt_id, photo, message):
    app = make_app(SURVEY_PHOTO_MAX_BYTES=2000)
    client = app.test_client()
    client.post("/login", data={"username": "relawan", "password": "kata-sandi-uji-123"})
    url = client.post("/survei/mulai", data={"rt_id": rt_id}).headers["Location"]
    data = form_data(rt_id, two_members())
    data["photo"] = (io.BytesIO(photo or jpeg((800, 800))), "rumah.jpg")
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_oversized_request_gets_the_indonesian_413_page(make_app, world, rt_id):
    app = make_app(MAX_CONTENT_LENGTH=1000)
    client = app.test_client()
    client.post("/login", data={"username": "relawan", "password": "kata-sandi-uji-123"})
    url = client.post("/survei/mulai", data={"rt_id": rt_id}).headers["Location"]
    data = form_data(rt_id, two_members())
    data["photo"] = (io.BytesIO(jpeg((600, 600))), "rumah.jpg")
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 413 and "Berkas terlalu besar" in response.get_data(
        as_text=True
    )


def test_nik_already_in_another_visible_household_links_to_it(client, fill_url, rt_id, app, world):
    with app.app_context():
        siti = db.session.get(Person, world.person_ids["assigned"])
        nik, household_id, kk = siti.nik, siti.household_id, siti.household.kk_number
    members = two_members()
    members[1].update(nik=nik, name="SITI AMINAH", birth_date="1980-02-01")
    response = client.post(fill_url, data=form_data(rt_id, members))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"NIK {nik} sudah terdaftar di KK {kk}." in page
    assert f'href="/registri/kk/{household_id}"' in page


def test_nik_in_a_household_outside_the_volunteers_rts_is_masked(
    client, fill_url, rt_id, app, world
):
    with app.app_context():
        person = db.session.get(Person, world.person_ids["unassigned"])
        nik, household_id, birth, sex = (
            person.nik,
            person.household_id,
            person.birth_date,
            person.sex,
        )
        other_kk = person.household.kk_number
    members = two_members()
    members[1].update(
        nik=nik, name="WARGA LAIN", birth_date=birth.isoformat(), sex=sex, relation="anak"
    )
    response = client.post(fill_url, data=form_data(rt_id, members))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # To the volunteer it reads like any NIK the registry of their RTs does not hold.
    assert "Anggota baru: WARGA LAIN." in page
    assert nik[:6] + "******" not in page.replace(nik, "")  # only where they typed it
    assert "terdaftar" not in page and "luar wilayah" not in page
    assert other_kk not in page and f"/registri/kk/{household_id}" not in page


def test_nik_of_another_kelurahan_goes_to_staff_unmentioned(
    client, fill_url, rt_id, app, world, auth, login_as
):
    with app.app_context():
        person = db.session.get(Person, world.person_ids["other"])
        nik, birth, sex = person.nik, person.birth_date, person.sex
    members = two_members()
    members[1].update(nik=nik, birth_date=birth.isoformat(), sex=sex, relation="anak")
    response = client.post(fill_url, data=form_data(rt_id, members))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "kelurahan lain" not in page
    auth.logout()
    login_as("staff")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"NIK {nik[:6]}******{nik[12:]} terdaftar di kelurahan lain." in page


def test_autosave_keeps_the_draft_and_needs_the_csrf_header(make_app, world, rt_id):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = (
        login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        if 'name="csrf_token" type="hidden"' in login_page
        else login_page.split('name="csrf_token" value="')[1].split('"')[0]
    )
    client.post(
        "/login",
        data={"username": "relawan", "password": "kata-sandi-uji-123", "csrf_token": token},
    )
    page = client.get("/survei/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    url = client.post("/survei/mulai", data={"rt_id": rt_id, "csrf_token": token}).headers[
        "Location"
    ]
    draft_url = url.replace("/isi", "/draf")
    fields = {"fields": [["kk_number", "3273020106150077"], ["members-4-name", "ANAK BARU"]]}
    assert client.post(draft_url, json=fields).status_code == 400  # no CSRF header
    response = client.post(draft_url, json=fields, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["saved_at"] > 0
    page = client.get(url).get_data(as_text=True)  # resuming renders the saved rows
    assert 'value="3273020106150077"' in page and 'value="ANAK BARU"' in page
    bad = client.post(draft_url, json={"fields": "x" * 10}, headers={"X-CSRFToken": token})
    assert bad.status_code == 409
    assert "#" in client.get("/survei/").get_data(as_text=True).split('id="drafts"')[1]


def test_volunteer_cannot_survey_outside_their_rts(client, fill_url, app, world):
    with app.app_context():
        other_rt_id = rt_of(db.session.get(Kelurahan, world.kelurahan_id), 2, 1).id
    assert client.post("/survei/mulai", data={"rt_id": other_rt_id}).status_code == 404
    page = client.post(fill_url, data=form_data(other_rt_id, two_members())).get_data(as_text=True)
    assert "Pilihan tidak sah." in page


def test_starting_from_a_registered_kk_prefills_its_living_members(
    client, login_as, rt_id, app, world
):
    with app.app_context():
        household = db.session.get(Household, world.household_ids["assigned"])
        kk, nik = household.kk_number, household.members[0].nik
    login_as("volunteer")
    url = client.post("/survei/mulai", data={"rt_id": rt_id, "kk": kk}).headers["Location"]
    page = client.get(url).get_data(as_text=True)
    assert f'value="{kk}"' in page and f'value="{nik}"' in page and 'value="SITI AMINAH"' in page
    other = client.post("/survei/mulai", data={"rt_id": rt_id, "kk": "3273020106159999"})
    assert 'value="3273020106159999"' in client.get(other.headers["Location"]).get_data(
        as_text=True
    )
