"""Staff verification: approve into the registry, return, reject, bulk approve, history."""

from datetime import UTC, date

import pytest
import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import AuditLog, Household, Person, Survey, SurveyStatusEvent, SurveyTask, User
from tests.factories_surveys import form_data, make_survey, member


@pytest.fixture
def rt_id(app, world):
    with app.app_context():
        return db.session.get(User, world.user_ids["volunteer"]).assigned_rts[0].id


def submit_as_volunteer(client, auth, rt_id, data_for) -> int:
    """Sign in as the volunteer, submit one survey, sign out; returns its id."""
    auth.login("relawan")
    url = client.post("/survei/mulai", data={"rt_id": rt_id}).headers["Location"]
    response = client.post(url, data=data_for(rt_id))
    assert response.status_code == 302, response.get_data(as_text=True)
    auth.logout()
    return int(url.split("/")[-2])


def resurvey_of_assigned(app, world):
    """A survey of the 'assigned' household: Siti's income known now, a newborn, new housing."""
    with app.app_context():
        household = db.session.get(Household, world.household_ids["assigned"])
        siti = household.members[0]
        kk, nik = household.kk_number, siti.nik

    def data_for(rt_id):
        return form_data(
            rt_id,
            [
                member(
                    "SITI AMINAH",
                    "kepala",
                    "P",
                    date(1980, 2, 1),
                    nik=nik,
                    monthly_income="750000",
                    occupation="Pedagang",
                ),
                member("BAYI BARU", "anak", "P", date(2026, 9, 1)),
            ],
            kk=kk,
            electricity_va="450",
        )

    return data_for


def test_approving_updates_the_registry_and_keeps_previous_values_in_the_audit_log(
    client, auth, app, world, rt_id
):
    survey_id = submit_as_volunteer(client, auth, rt_id, resurvey_of_assigned(app, world))
    auth.login("petugas")
    queue = client.get("/survei/verifikasi").get_data(as_text=True)
    assert f"Survei #{survey_id}" in queue and "Relawan" in queue
    assert "Penghasilan SITI AMINAH berubah: - → Rp 750.000." in queue
    assert "Anggota baru: BAYI BARU." in queue
    response = client.post(f"/survei/{survey_id}/setujui")
    assert response.status_code == 302
    with app.app_context():
        household = db.session.get(Household, world.household_ids["assigned"])
        assert household.electricity_va == 450 and household.verified_at is not None
        names = {p.name: p for p in household.members}
        assert set(names) == {"SITI AMINAH", "BAYI BARU"}
        assert names["SITI AMINAH"].monthly_income == 750_000
        assert names["SITI AMINAH"].occupation == "Pedagang"
        assert names["BAYI BARU"].verified_at is not None
        survey = db.session.get(Survey, survey_id)
        assert survey.status == "verified" and survey.household_id == household.id
        assert [e.status for e in survey.events] == ["draft", "submitted", "verified"]
        assert survey.events[-1].user_id == world.user_ids["staff"]
        change = db.session.scalar(
            sa.select(AuditLog).where(
                AuditLog.entity == "household",
                AuditLog.entity_id == household.id,
                AuditLog.action == "update",
            )
        )
        assert change.user_id == world.user_ids["staff"]
        assert change.changes["electricity_va"] == {"before": None, "after": 450}


def test_return_then_correct_then_approve(client, auth, app, world, rt_id):
    survey_id = submit_as_volunteer(client, auth, rt_id, resurvey_of_assigned(app, world))
    auth.login("petugas")
    refused = client.post(f"/survei/{survey_id}/keputusan", data={"action": "return", "note": ""})
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.get(Survey, survey_id).status == "submitted"
    client.post(
        f"/survei/{survey_id}/keputusan",
        data={"action": "return", "note": "Foto rumah belum ada."},
    )
    auth.logout()
    auth.login("relawan")
    page = client.get("/survei/").get_data(as_text=True)
    assert "Dikembalikan untuk perbaikan" in page
    form_page = client.get(f"/survei/{survey_id}/isi").get_data(as_text=True)
    assert "Foto rumah belum ada." in form_page and 'value="BAYI BARU"' in form_page
    data = resurvey_of_assigned(app, world)(rt_id)
    data["address"] = "Gg. Sukamaju No. 8"
    assert client.post(f"/survei/{survey_id}/isi", data=data).status_code == 302
    auth.logout()
    auth.login("petugas")
    client.post(f"/survei/{survey_id}/setujui")
    with app.app_context():
        statuses = list(
            db.session.scalars(
                sa.select(SurveyStatusEvent.status)
                .where(SurveyStatusEvent.survey_id == survey_id)
                .order_by(SurveyStatusEvent.id)
            )
        )
        assert statuses == ["draft", "submitted", "returned", "submitted", "verified"]
        assert (
            db.session.get(Household, world.household_ids["assigned"]).address
            == "Gg. Sukamaju No. 8"
        )


def test_reject_needs_a_reason_and_leaves_the_registry_alone(client, auth, app, world, rt_id):
    survey_id = submit_as_volunteer(client, auth, rt_id, resurvey_of_assigned(app, world))
    auth.login("petugas")
    client.post(
        f"/survei/{survey_id}/keputusan", data={"action": "reject", "note": "Data fiktif."}
    )
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert survey.status == "rejected" and survey.staff_note == "Data fiktif."
        assert db.session.get(Household, world.household_ids["assigned"]).verified_at is None
    again = client.post(f"/survei/{survey_id}/setujui", follow_redirects=True)
    assert "tidak sedang menunggu verifikasi" in again.get_data(as_text=True)


def test_deceased_and_moved_members_change_status(client, auth, app, world, rt_id):
    with app.app_context():
        household = db.session.get(Household, world.household_ids["assigned"])
        siti = household.members[0]
        kk, nik = household.kk_number, siti.nik

    def data_for(rt):
        return form_data(
            rt,
            [
                member(
                    "SITI AMINAH", "kepala", "P", date(1980, 2, 1), nik=nik, presence="meninggal"
                ),
                member("ANAK PERTAMA", "kepala", "L", date(2000, 1, 1)),
            ],
            kk=kk,
        )

    survey_id = submit_as_volunteer(client, auth, rt_id, data_for)
    auth.login("petugas")
    assert "SITI AMINAH: Meninggal" in client.get(f"/survei/{survey_id}").get_data(as_text=True)
    client.post(f"/survei/{survey_id}/setujui")
    with app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.nik == nik))
        assert person.status == "meninggal" and person.status_changed_at is not None


def test_bulk_approval_takes_only_clean_submitted_surveys(client, login_as, app, world):
    with app.app_context():
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        rt = volunteer.assigned_rts[0]
        clean = [make_survey(db.session, volunteer, rt).id for _ in range(2)]
        flagged = make_survey(db.session, volunteer, rt, flag_count=1).id
        draft = make_survey(db.session, volunteer, rt, status="draft").id
        db.session.commit()
    login_as("staff")
    page = client.get("/survei/verifikasi/bersih").get_data(as_text=True)
    assert f'value="{clean[0]}"' in page and f'value="{flagged}"' not in page
    client.post("/survei/verifikasi/bersih", data={"survey_id": clean + [flagged, draft]})
    with app.app_context():
        statuses = {s.id: s.status for s in db.session.scalars(sa.select(Survey))}
        assert [statuses[i] for i in clean] == ["verified", "verified"]
        assert statuses[flagged] == "submitted" and statuses[draft] == "draft"
        assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 3 + 2


def test_task_is_shown_to_the_volunteer_and_closed_by_verification(
    client, auth, app, world, rt_id
):
    auth.login("petugas")
    response = client.post(
        "/survei/tugas/baru",
        data={
            "rt_id": rt_id,
            "address": "Gg. Kos Mahasiswa 3",
            "subject_name": "PENGHUNI KOS",
            "note": "Usulan RT: penghuni kos belum terdata.",
        },
    )
    assert response.status_code == 302
    bad = client.post("/survei/tugas/baru", data={"rt_id": rt_id, "address": "", "kk_number": "1"})
    assert "Alamat wajib diisi." in bad.get_data(as_text=True)
    auth.logout()
    auth.login("relawan")
    page = client.get("/survei/").get_data(as_text=True)
    assert "Gg. Kos Mahasiswa 3" in page and "penghuni kos belum terdata" in page
    with app.app_context():
        task_id = db.session.scalar(sa.select(SurveyTask.id))
    url = client.post("/survei/mulai", data={"task_id": task_id}).headers["Location"]
    assert 'value="Gg. Kos Mahasiswa 3"' in client.get(url).get_data(as_text=True)
    data = form_data(
        rt_id,
        [member("PENGHUNI KOS", "kepala", presence="pendatang")],
        address="Gg. Kos Mahasiswa 3",
    )
    assert client.post(url, data=data).status_code == 302
    auth.logout()
    auth.login("petugas")
    client.post(url.replace("/isi", "/setujui"))
    with app.app_context():
        task = db.session.get(SurveyTask, task_id)
        assert task.status == "selesai" and task.completed_at is not None
        person = db.session.scalar(sa.select(Person).where(Person.name == "PENGHUNI KOS"))
        assert person.residence == "pendatang" and task.household_id == person.household_id


def test_status_history_is_queryable(app, world):
    with app.app_context():
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        survey = make_survey(db.session, volunteer, volunteer.assigned_rts[0])
        db.session.commit()
        rows = db.session.execute(
            sa.select(SurveyStatusEvent.status, User.username)
            .join(User, SurveyStatusEvent.user_id == User.id)
            .where(SurveyStatusEvent.survey_id == survey.id)
            .order_by(SurveyStatusEvent.id)
        ).all()
        assert [tuple(r) for r in rows] == [("draft", "relawan"), ("submitted", "relawan")]


def test_second_decision_on_a_stale_survey_is_refused(app, world):
    from datetime import datetime

    from nutera.surveys.approval import approve_survey
    from nutera.surveys.services import SurveyError

    with app.app_context():
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        survey_id = make_survey(db.session, volunteer, volunteer.assigned_rts[0]).id
        db.session.commit()
        staff = db.session.get(User, world.user_ids["staff"])
        survey = db.session.get(Survey, survey_id)  # loaded while still 'submitted'
        with db.engine.begin() as other_staff:  # someone else decides first and commits
            other_staff.execute(
                sa.update(Survey).where(Survey.id == survey_id).values(status="rejected")
            )
        with pytest.raises(SurveyError, match="tidak sedang menunggu verifikasi"):
            approve_survey(db.session, survey, staff, datetime.now(UTC))
        db.session.rollback()
        assert db.session.get(Survey, survey_id).status == "rejected"
        assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 3
