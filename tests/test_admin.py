"""Account administration pages."""

import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import User
from nutera.scoping import scoped_select


def test_admin_creates_staff_in_a_kelurahan(app, client, login_as, world):
    login_as("admin")
    response = client.post(
        "/admin/pengguna/baru",
        data={
            "username": "staf.baru",
            "full_name": "Staf Baru",
            "role": "staff",
            "kelurahan_id": world.other_kelurahan_id,
            "password": "rahasia-panjang-1",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "staf.baru"))
        assert user.role == "staff" and user.kelurahan_id == world.other_kelurahan_id


def test_staff_may_only_create_volunteers_of_their_kelurahan(app, client, login_as, world):
    login_as("staff")
    page = client.get("/admin/pengguna/baru").get_data(as_text=True)
    assert 'value="staff"' not in page and "Lebakgede" not in page
    response = client.post(
        "/admin/pengguna/baru",
        data={
            "username": "jahat",
            "full_name": "Jahat",
            "role": "admin",
            "kelurahan_id": world.other_kelurahan_id,
            "password": "rahasia-panjang-1",
        },
    )
    assert response.status_code == 200  # rejected: not a valid choice
    assert (
        "Not a valid choice" in response.get_data(as_text=True)
        or "bukan pilihan" in response.get_data(as_text=True).lower()
    )
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "jahat")) is None


def test_rejected_user_form_keeps_what_was_typed(client, login_as, world):
    login_as("admin")
    page = client.post(
        "/admin/pengguna/baru",
        data={
            "username": "petugas",
            "full_name": "Nama Yang Diketik",
            "role": "staff",
            "kelurahan_id": world.kelurahan_id,
            "password": "rahasia-panjang-1",
        },
    ).get_data(as_text=True)
    assert "sudah dipakai" in page
    assert 'value="Nama Yang Diketik"' in page


def test_volunteer_assignment_to_rts(app, client, login_as, world):
    login_as("staff")
    with app.app_context():
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        rt_ids = [rt.id for rw in volunteer.kelurahan.rws for rt in rw.rts]
    response = client.post(
        f"/admin/pengguna/{world.user_ids['volunteer']}/penugasan", data={"rt_ids": rt_ids}
    )
    assert response.status_code == 302
    with app.app_context():
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        assert sorted(rt.id for rt in volunteer.assigned_rts) == sorted(rt_ids)
        assert {rt.label for rt in volunteer.assigned_rts} == {
            "RT 01/RW 01",
            "RT 02/RW 01",
            "RT 01/RW 02",
        }


def test_assignment_refuses_rts_of_another_kelurahan(app, client, login_as, world):
    login_as("admin")
    with app.app_context():
        other = db.session.get(User, world.user_ids["other_staff"]).kelurahan
        foreign_rt = other.rws[0].rts[0].id
    response = client.post(
        f"/admin/pengguna/{world.user_ids['volunteer']}/penugasan", data={"rt_ids": [foreign_rt]}
    )
    assert response.status_code == 200
    with app.app_context():
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        assert [rt.label for rt in volunteer.assigned_rts] == ["RT 01/RW 01"]


def test_user_list_is_scoped(app, client, login_as, world):
    login_as("staff")
    page = client.get("/admin/pengguna").get_data(as_text=True)
    assert "relawan" in page and "petugas.lain" not in page
    with app.app_context():
        staff = db.session.get(User, world.user_ids["staff"])
        names = set(
            db.session.scalars(scoped_select(User, staff).with_only_columns(User.username))
        )
    assert names == {"petugas", "relawan"}


def test_staff_without_kelurahan_is_refused_next_to_the_field(client, login_as, world):
    login_as("admin")
    page = client.post(
        "/admin/pengguna/baru",
        data={
            "username": "staf.tanpa",
            "full_name": "Staf Tanpa Kelurahan",
            "role": "staff",
            "kelurahan_id": 0,
            "password": "rahasia-panjang-1",
        },
    ).get_data(as_text=True)
    assert "harus terdaftar pada satu kelurahan" in page
    assert 'value="Staf Tanpa Kelurahan"' in page
