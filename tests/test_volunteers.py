"""Volunteers join as a community: apply, staff review, guide and pledge, activity."""

import sqlalchemy as sa

from nutera.extensions import db, limiter
from nutera.models import (
    AuditLog,
    Kelurahan,
    Rw,
    Survey,
    User,
    VolunteerApplication,
    VolunteerPledge,
)
from nutera.volunteers.services import PLEDGE_VERSION
from tests import factories
from tests.factories_surveys import make_survey


def tamansari_rw(app, world, number=2) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(Rw.id).where(Rw.kelurahan_id == world.kelurahan_id, Rw.number == number)
        )


def apply(client, world, environ_base=None, **fields):
    data = {
        "full_name": "Dewi Lestari",
        "campus": "Universitas Padjadjaran",
        "phone": "0812 3456 7890",
        "preferred_rw": "",
        "availability": "Sabtu pagi",
        **fields,
    }
    return client.post(
        "/daftar-relawan?kelurahan=3273021003", data=data, environ_base=environ_base or {}
    )


def only_application(app) -> VolunteerApplication:
    with app.app_context():
        return db.session.scalar(sa.select(VolunteerApplication))


def test_student_applies_without_an_account(client, app, world):
    page = client.get("/daftar-relawan").get_data(as_text=True)
    assert "Kelurahan Tamansari" in page and "Lebakgede" in page  # two kelurahan: choose
    form = client.get("/daftar-relawan?kelurahan=3273021003").get_data(as_text=True)
    assert "RW 02" in form and 'inputmode="tel"' in form
    response = apply(client, world, preferred_rw=tamansari_rw(app, world))
    assert response.status_code == 302 and response.headers["Location"].endswith("/terkirim")
    application = only_application(app)
    assert (application.full_name, application.phone, application.status) == (
        "Dewi Lestari",
        "081234567890",
        "baru",
    )
    assert application.kelurahan_id == world.kelurahan_id
    assert application.preferred_rw_id == tamansari_rw(app, world)


def test_invalid_application_keeps_typing_and_bots_are_refused(client, app, world):
    response = apply(client, world, phone="12345")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Nomor HP tidak sah" in page
    assert 'value="Dewi Lestari"' in page and "Sabtu pagi" in page
    assert apply(client, world, website="http://spam").status_code == 400
    assert only_application(app) is None


def test_applications_are_rate_limited(make_app, world):
    limited = make_app(RATELIMIT_ENABLED=True, VOLUNTEER_APPLY_RATE_LIMIT="2 per hour")
    client = limited.test_client()
    try:
        statuses = [apply(client, world, full_name=f"Pelamar {i}").status_code for i in range(3)]
        assert statuses == [302, 302, 429]
        other = apply(client, world, environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other.status_code == 302
    finally:
        limiter.reset()


def test_staff_approve_creating_the_account_and_rts_in_one_step(client, app, world, login_as):
    apply(client, world, preferred_rw=tamansari_rw(app, world))
    application = only_application(app)
    login_as("staff")
    page = client.get(f"/kelola/relawan/lamaran/{application.id}").get_data(as_text=True)
    assert "Dewi Lestari" in page and 'value="dewi.lestari"' in page
    with app.app_context():
        rw2_rts = [rt.id for rt in db.session.get(Rw, tamansari_rw(app, world)).rts]
    for rt_id in rw2_rts:  # the preferred RW's RTs are ticked already
        assert f'value="{rt_id}" id="rt-{rt_id}" checked' in page
    response = client.post(
        f"/kelola/relawan/lamaran/{application.id}/terima",
        data={"username": "dewi.lestari", "rt_ids": rw2_rts},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = page.split('id="initial-password">')[1].split("<")[0]
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "dewi.lestari"))
        assert user.role == "volunteer" and user.kelurahan_id == world.kelurahan_id
        assert user.must_change_password  # staff saw this password; the volunteer replaces it
        assert [rt.id for rt in user.assigned_rts] == rw2_rts
        assert user.check_password(password) and password not in str(
            db.session.scalars(sa.select(AuditLog.changes)).all()
        )
        assert db.session.get(VolunteerApplication, application.id).user_id == user.id
    # Shown once: the application page no longer offers approval.
    again = client.post(
        f"/kelola/relawan/lamaran/{application.id}/terima",
        data={"username": "dewi.lestari2", "rt_ids": rw2_rts},
    )
    assert again.status_code == 422 and "sudah diterima" in again.get_data(as_text=True)


def test_refused_approval_and_decline_keep_what_was_typed(client, app, world, login_as):
    apply(client, world)
    application = only_application(app)
    login_as("staff")
    taken = client.post(
        f"/kelola/relawan/lamaran/{application.id}/terima",
        data={"username": "petugas", "rt_ids": []},
    )
    page = taken.get_data(as_text=True)
    assert taken.status_code == 422 and "Pilih paling sedikit satu RT." in page
    empty = client.post(f"/kelola/relawan/lamaran/{application.id}/tolak", data={"reason": ""})
    assert empty.status_code == 422 and "Alasan penolakan wajib diisi." in empty.get_data(
        as_text=True
    )
    declined = client.post(
        f"/kelola/relawan/lamaran/{application.id}/tolak",
        data={"reason": "Kuota relawan RW ini sudah penuh."},
    )
    assert declined.status_code == 302
    with app.app_context():
        stored = db.session.get(VolunteerApplication, application.id)
        assert (stored.status, stored.decline_reason) == (
            "ditolak",
            "Kuota relawan RW ini sudah penuh.",
        )
        assert stored.decided_by_id == world.user_ids["staff"]


def test_applications_are_scoped_to_the_kelurahan(client, app, world, login_as):
    apply(client, world)
    application = only_application(app)
    login_as("other_staff")
    assert client.get(f"/kelola/relawan/lamaran/{application.id}").status_code == 404
    assert "Dewi Lestari" not in client.get("/kelola/relawan").get_data(as_text=True)
    response = client.post(f"/kelola/relawan/lamaran/{application.id}/tolak", data={"reason": "x"})
    assert response.status_code == 404
    client.post("/logout")
    login_as("volunteer")
    assert client.get("/kelola/relawan").status_code == 403


def test_first_survey_waits_for_the_guide_and_pledge(client, app, world, login_as):
    with app.app_context():
        tamansari = db.session.get(Kelurahan, world.kelurahan_id)
        new = factories.make_user(db.session, "relawan.baru", "volunteer", tamansari)
        db.session.execute(sa.delete(VolunteerPledge).where(VolunteerPledge.user_id == new.id))
        from nutera.auth.services import assign_rts

        rt = factories.rt_of(tamansari, 1, 1)
        assign_rts(db.session, new, [rt.id])
        db.session.commit()
        rt_id, new_id = rt.id, new.id
    client.post("/login", data={"username": "relawan.baru", "password": factories.PASSWORD})
    assert "pledge-needed" in client.get("/survei/").get_data(as_text=True)
    refused = client.post("/survei/mulai", data={"rt_id": rt_id})
    assert refused.headers["Location"].endswith("/relawan/panduan")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Survey.id))) == 0
    guide = client.get("/relawan/panduan").get_data(as_text=True)
    assert "Tidak boleh" in guide and PLEDGE_VERSION in guide
    unticked = client.post("/relawan/panduan", data={})
    assert "Centang pernyataan ini" in unticked.get_data(as_text=True)
    client.post("/relawan/panduan", data={"accept": "y"})
    with app.app_context():
        pledge = db.session.scalar(
            sa.select(VolunteerPledge).where(VolunteerPledge.user_id == new_id)
        )
        assert pledge.version == PLEDGE_VERSION and pledge.accepted_at is not None
    started = client.post("/survei/mulai", data={"rt_id": rt_id})
    assert "/isi" in started.headers["Location"]


def test_staff_see_each_volunteers_activity(client, app, world, login_as):
    with app.app_context():
        tamansari = db.session.get(Kelurahan, world.kelurahan_id)
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        rt = factories.rt_of(tamansari, 1, 1)
        make_survey(db.session, volunteer, rt)
        make_survey(db.session, volunteer, rt, status="verified")
        db.session.commit()
    login_as("staff")
    page = client.get("/kelola/relawan/aktivitas").get_data(as_text=True)
    card = page.split('data-volunteer="relawan"')[1].split("</dl>")[0]
    assert 'data-count="submitted">2<' in card and 'data-count="verified">1<' in card
    assert "petugas.lain" not in page
