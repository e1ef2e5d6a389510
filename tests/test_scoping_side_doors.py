"""No side door: a volunteer learns no registry value outside their RTs through any page or
message, and no record of another kelurahan; staff are told, and the telling is logged."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import AuditLog, Household, Kelurahan, Person, Survey, User
from nutera.surveys.services import create_task
from tests.factories import make_household, make_kk, make_nik, rt_of
from tests.factories_surveys import form_data, make_survey, member

SECRET_BIRTH = date(1961, 7, 23)


@pytest.fixture
def secrets_(app, world):
    """Distinctive registry values in RW 02 (outside the volunteer's RT) and in Lebakgede."""
    with app.app_context():
        tamansari = db.session.get(Kelurahan, world.kelurahan_id)
        lebakgede = db.session.get(Kelurahan, world.other_kelurahan_id)
        found = {}
        for key, kelurahan, rw in (("rw2", tamansari, 2), ("other", lebakgede, 1)):
            name = f"RAHASIA {key.upper()} SUTRISNO"
            household = make_household(
                db.session,
                rt_of(kelurahan, rw, 1),
                [{"name": name, "relation": "kepala", "sex": "P", "birth_date": SECRET_BIRTH}],
            )
            household.address = f"Jl. Tersembunyi {key} No. 99"
            household.ownership, household.water_source = "menumpang", "sumur_bor"
            household.electricity_va = 5501
            person = household.members[0]
            person.monthly_income = 7_777_777
            person.occupation = f"Juru Rahasia {key}"
            found[key] = {
                "kk": household.kk_number,
                "nik": person.nik,
                "name": name,
                "address": household.address,
                "household_id": household.id,
                "person_id": person.id,
            }
        db.session.commit()
        return found


def leaked(page: str, secret: dict) -> list[str]:
    """The registry values of secret that appear on page."""
    values = [
        secret["name"],
        secret["address"],
        "7.777.777",
        "Juru Rahasia",
        "5501",
        f"/registri/kk/{secret['household_id']}",
        "kelurahan lain",
        "luar wilayah",
        "terdaftar di",
        "Beda RT",
        "RW 02" if "RW2" in secret["name"] else "Lebakgede",
    ]
    return [value for value in values if value in page]


@pytest.fixture
def rt_id(app, world):
    with app.app_context():
        return db.session.get(User, world.user_ids["volunteer"]).assigned_rts[0].id


def _fill(client, rt_id) -> str:
    return client.post("/survei/mulai", data={"rt_id": rt_id}).headers["Location"]


def _typed_member(secret: dict, name: str = "ORANG YANG DIKETIK") -> dict:
    return member(name, "anak", "P", SECRET_BIRTH, nik=secret["nik"])


@pytest.mark.parametrize("where", ["rw2", "other"])
def test_volunteer_typing_an_out_of_scope_kk_and_nik_learns_nothing(
    client, login_as, auth, rt_id, secrets_, where, app
):
    secret = secrets_[where]
    login_as("volunteer")
    fill = _fill(client, rt_id)
    members = [member("KEPALA BARU", "kepala"), _typed_member(secret)]
    # A refused post (address missing) says nothing about the records either.
    refused = client.post(fill, data=form_data(rt_id, members, kk=secret["kk"], address=""))
    assert refused.status_code == 422
    assert leaked(refused.get_data(as_text=True), secret) == []
    response = client.post(fill, data=form_data(rt_id, members, kk=secret["kk"]))
    assert response.status_code == 302  # submitted: staff resolve it
    detail = response.headers["Location"]
    pages = [client.get(detail), client.get("/survei/daftar"), client.get("/survei/")]
    for page in pages:
        assert page.status_code == 200
        assert leaked(page.get_data(as_text=True), secret) == []
    assert client.get(f"/registri/kk/{secret['household_id']}").status_code == 404

    auth.logout()
    login_as("staff")
    staff_page = client.get(detail).get_data(as_text=True)
    if where == "other":
        assert "Nomor KK ini terdaftar di kelurahan lain." in staff_page
        assert f"NIK {secret['nik'][:6]}******{secret['nik'][12:]} terdaftar di kelurahan lain."
        # Even staff get only the fact, not the other kelurahan's values.
        assert secret["name"] not in staff_page and secret["address"] not in staff_page
    else:
        assert secret["address"] in staff_page  # their own kelurahan: the full comparison
        assert "Beda RT: registri RT 01/RW 02, survei RT 01/RW 01." in staff_page


def test_out_of_scope_and_unknown_numbers_look_the_same_to_the_volunteer(
    client, login_as, rt_id, secrets_, app
):
    """Many NIKs per post, many posts: the answers never tell registered from unknown."""
    login_as("volunteer")
    kinds = []
    for kk, nik in (
        (secrets_["other"]["kk"], secrets_["other"]["nik"]),
        (secrets_["rw2"]["kk"], secrets_["rw2"]["nik"]),
        (make_kk(), make_nik(SECRET_BIRTH, "P")),
    ):
        fill = _fill(client, rt_id)
        members = [member("KEPALA BARU", "kepala"), member("ANGGOTA", "anak", "P", SECRET_BIRTH)]
        members[1]["nik"] = nik
        response = client.post(fill, data=form_data(rt_id, members, kk=kk))
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        findings = page.split('id="findings"')[1].split("</ul>")[0]
        kinds.append((re.findall(r'data-kind="(\w+)"', findings), re.sub(r"\d", "", findings)))
    assert kinds[0] == kinds[1] == kinds[2]


def test_staff_told_of_another_kelurahan_is_logged(client, login_as, auth, rt_id, secrets_, app):
    login_as("volunteer")
    fill = _fill(client, rt_id)
    members = [member("KEPALA BARU", "kepala"), _typed_member(secrets_["other"])]
    detail = client.post(fill, data=form_data(rt_id, members)).headers["Location"]
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "lihat")
            )
            == 0
        )  # the volunteer was told nothing, so nothing to log
    auth.logout()
    login_as("staff")
    assert "terdaftar di kelurahan lain" in client.get(detail).get_data(as_text=True)
    assert "terdaftar di kelurahan lain" in client.get("/survei/verifikasi").get_data(as_text=True)
    with app.app_context():
        logs = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "lihat")).all()
        staff_id = db.session.scalar(sa.select(User.id).where(User.username == "petugas"))
        assert len(logs) == 2 and {log.user_id for log in logs} == {staff_id}
        assert logs[0].changes["event"] == "registered_elsewhere"
        assert logs[0].changes["person_ids"] == [secrets_["other"]["person_id"]]
        assert logs[0].entity == "survey" and logs[0].ip


def test_duplicate_survey_names_no_other_volunteer(client, login_as, rt_id, secrets_, app, world):
    with app.app_context():
        other_staff = db.session.get(User, world.user_ids["other_staff"])
        lebak = db.session.get(Kelurahan, world.other_kelurahan_id)
        earlier = make_survey(
            db.session, other_staff, rt_of(lebak, 1, 1), kk=secrets_["other"]["kk"]
        )
        db.session.commit()
        earlier_id = earlier.id
    login_as("volunteer")
    fill = _fill(client, rt_id)
    page = client.post(
        fill, data=form_data(rt_id, [member("KEPALA", "kepala")], kk=secrets_["other"]["kk"])
    ).get_data(as_text=True)
    assert "KK ini sudah didata periode ini. Hubungi petugas kelurahan" in page
    # Not "#1" inside a colour such as the theme's #146c43: a survey number standing alone.
    assert "Petugas.Lain" not in page and not re.search(rf"#{earlier_id}(?![0-9A-Fa-f])", page)
    assert leaked(page, secrets_["other"]) == []


def test_task_pointing_outside_the_rts_does_not_prefill_registry_values(
    client, login_as, rt_id, secrets_, app, world
):
    with app.app_context():
        staff = db.session.get(User, world.user_ids["staff"])
        volunteer_rt = db.session.get(User, world.user_ids["volunteer"]).assigned_rts[0]
        household = db.session.get(Household, secrets_["rw2"]["household_id"])
        task = create_task(db.session, staff, volunteer_rt, "Jl. Tugas 1", household=household)
        db.session.commit()
        task_id = task.id
    login_as("volunteer")
    fill = client.post("/survei/mulai", data={"task_id": task_id}).headers["Location"]
    page = client.get(fill).get_data(as_text=True)
    assert "Jl. Tugas 1" in page  # what staff wrote on the task
    assert secrets_["rw2"]["name"] not in page and secrets_["rw2"]["nik"] not in page
    assert secrets_["rw2"]["kk"] not in page and secrets_["rw2"]["address"] not in page


def test_kk_list_and_start_by_kk_stay_in_scope(client, login_as, rt_id, secrets_, app):
    login_as("volunteer")
    for where in ("rw2", "other"):
        listing = client.get("/registri/kk", query_string={"kk": secrets_[where]["kk"]})
        assert leaked(listing.get_data(as_text=True), secrets_[where]) == []
        fill = client.post("/survei/mulai", data={"rt_id": rt_id, "kk": secrets_[where]["kk"]})
        page = client.get(fill.headers["Location"]).get_data(as_text=True)
        assert secrets_[where]["name"] not in page and secrets_[where]["address"] not in page


def test_warning_counts_are_not_shown_to_volunteers(client, login_as, rt_id, secrets_, app):
    login_as("volunteer")
    fill = _fill(client, rt_id)
    client.post(fill, data=form_data(rt_id, [member("K", "kepala")], kk=secrets_["other"]["kk"]))
    with app.app_context():
        assert db.session.scalar(sa.select(Survey.flag_count)) == 1  # staff will see it
    assert "peringatan" not in client.get("/survei/daftar").get_data(as_text=True)


def test_staff_of_another_kelurahan_see_no_values_of_ours(app, world, secrets_):
    """The comparison itself: persons outside the viewer's scope lend no values."""
    from nutera.surveys.comparison import compare

    with app.app_context():
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        survey = make_survey(db.session, volunteer, volunteer.assigned_rts[0], members=0)
        survey.kk_number = secrets_["rw2"]["kk"]
        from nutera.models import SurveyMember

        survey.members = [
            SurveyMember(
                position=0,
                nik=secrets_["rw2"]["nik"],
                name="X",
                relation="kepala",
                sex="P",
                birth_date=SECRET_BIRTH,
            )
        ]
        db.session.flush()
        seen_by_volunteer = compare(db.session, survey, volunteer)
        assert seen_by_volunteer.household is None
        assert all(row.person is None for row in seen_by_volunteer.members)
        assert seen_by_volunteer.gone == []
        assert {f.kind for f in seen_by_volunteer.findings} == {"new_household", "new_member"}
        staff = db.session.get(User, world.user_ids["staff"])
        seen_by_staff = compare(db.session, survey, staff)
        assert seen_by_staff.household.id == secrets_["rw2"]["household_id"]
        assert seen_by_staff.members[0].person.id == secrets_["rw2"]["person_id"]
        assert db.session.get(Person, secrets_["rw2"]["person_id"]) is not None


def test_distribution_records_are_scoped_by_the_one_helper(app, world, client, login_as):
    """Events, recipients and handovers: staff their kelurahan, volunteers their events and,
    there, the recipients of their RTs (search, list, QR code, form)."""
    from nutera.distribution.services import create_event
    from nutera.models import DistributionEvent, DistributionRecipient, event_volunteer
    from nutera.scoping import scoped_select
    from tests import factories
    from tests.factories_distribution import make_event

    with app.app_context():
        first = make_event(db.session, world, households=("assigned",))
        program = factories.make_program(
            db.session, db.session.get(Kelurahan, world.kelurahan_id), code="BST"
        )
        factories.enroll(
            db.session, program, db.session.get(Household, world.household_ids["unassigned"])
        )
        second = create_event(
            db.session,
            db.session.get(User, world.user_ids["staff"]),
            program,
            period="Tahap 1",
            event_date=date(2026, 11, 23),
            place="Aula",
            goods="Beras",
            amount=None,
            volunteer_ids=[world.user_ids["volunteer"]],
        ).id
        db.session.commit()
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        other_staff = db.session.get(User, world.user_ids["other_staff"])
        staff = db.session.get(User, world.user_ids["staff"])

        def ids(model, user):
            return set(db.session.scalars(scoped_select(model, user).with_only_columns(model.id)))

        assert ids(DistributionEvent, volunteer) == {second}
        assert ids(DistributionEvent, staff) == {first, second}
        assert ids(DistributionEvent, other_staff) == set()
        recipients = {
            r.event_id: r.id for r in db.session.scalars(sa.select(DistributionRecipient))
        }
        # The second event's only recipient lives in RW 02: outside the volunteer's RT.
        assert ids(DistributionRecipient, volunteer) == set()
        db.session.execute(sa.insert(event_volunteer).values(event_id=first, user_id=volunteer.id))
        db.session.commit()
        assert ids(DistributionRecipient, volunteer) == {recipients[first]}
        outsider = db.session.get(DistributionRecipient, recipients[second])
        outsider_name, outsider_nik = outsider.person.name, outsider.person.nik
        outsider_token = outsider.token
    login_as("volunteer")
    # A recipient id of an event the volunteer does not work is not found, even through
    # the URL of the event they do work; nor is one outside their RTs.
    assert client.get(f"/penyaluran/{second}/serah-terima/{recipients[first]}").status_code == 404
    assert client.get(f"/penyaluran/{first}/serah-terima/{recipients[first]}").status_code == 200
    assert client.get(f"/penyaluran/{second}/serah-terima/{recipients[second]}").status_code == 404
    for query in (outsider_nik, outsider_name[:5]):
        page = client.get(f"/penyaluran/{second}/serah-terima", query_string={"q": query})
        assert page.status_code == 200 and outsider_name not in page.get_data(as_text=True)
    listing = client.get(f"/penyaluran/{second}").get_data(as_text=True)
    assert outsider_name not in listing and outsider_nik[12:] not in listing
    scanned = client.get(
        f"/penyaluran/{second}/serah-terima", query_string={"token": outsider_token}
    )
    assert scanned.status_code == 200 and "Kode QR tidak dikenal" in scanned.get_data(as_text=True)
