"""Account management (issue 14 point 1): explicit role, kelurahan, edit, deactivate, reset,
last sign-in, RT checkboxes grouped by RW."""

import re

import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import Rt, Rw, User
from tests.conftest import PASSWORD

NEW = {
    "username": "relawan.baru",
    "full_name": "Relawan Baru",
    "password": "rahasia-panjang-1",
}


def _user(app, username):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def test_role_has_no_default_and_must_be_chosen(app, client, login_as, world):
    login_as("admin")
    page = client.get("/admin/pengguna/baru").text
    assert '<option value="">— pilih peran —</option><option value="admin">Admin</option>' in page
    assert "selected" not in page.split('id="role"')[1].split("</select>")[0]
    response = client.post(
        "/admin/pengguna/baru", data={**NEW, "kelurahan_id": world.kelurahan_id}
    )
    assert response.status_code == 200 and "Pilih peran akun ini." in response.text
    assert _user(app, "relawan.baru") is None


def test_kelurahan_is_required_for_staff_and_volunteers(app, client, login_as, world):
    login_as("admin")
    for role in ("staff", "volunteer"):
        response = client.post(
            "/admin/pengguna/baru", data={**NEW, "role": role, "kelurahan_id": ""}
        )
        assert "harus terdaftar pada satu kelurahan" in response.text
    assert _user(app, "relawan.baru") is None


def test_kelurahan_is_never_silently_dropped_for_an_admin(app, client, login_as, world):
    login_as("admin")
    response = client.post(
        "/admin/pengguna/baru", data={**NEW, "role": "admin", "kelurahan_id": world.kelurahan_id}
    )
    assert response.status_code == 200 and "Admin berlaku untuk seluruh kota" in response.text
    assert _user(app, "relawan.baru") is None
    ok = client.post("/admin/pengguna/baru", data={**NEW, "role": "admin", "kelurahan_id": ""})
    assert ok.status_code == 302 and _user(app, "relawan.baru").role == "admin"


def test_new_account_must_change_its_first_password(app, client, login_as, world):
    login_as("admin")
    page = client.get("/admin/pengguna/baru").text
    box = re.search(r'<input[^>]*id="must_change_password"[^>]*>', page).group(0)
    assert "checked" in box  # on by default in the browser
    client.post(
        "/admin/pengguna/baru",
        data={
            **NEW,
            "role": "volunteer",
            "kelurahan_id": world.kelurahan_id,
            "must_change_password": "y",
        },
    )
    newcomer = app.test_client()
    newcomer.post("/login", data={"username": "relawan.baru", "password": NEW["password"]})
    response = newcomer.get("/survei/")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/akun/kata-sandi"
    )


def test_admin_edits_name_role_and_kelurahan(app, client, login_as, world):
    login_as("admin")
    volunteer_id = world.user_ids["volunteer"]
    page = client.get(f"/admin/pengguna/{volunteer_id}/ubah")
    assert page.status_code == 200 and "Nonaktifkan akun" in page.text
    response = client.post(
        f"/admin/pengguna/{volunteer_id}/ubah",
        data={
            "full_name": "Relawan Pindah",
            "role": "staff",
            "kelurahan_id": world.other_kelurahan_id,
        },
    )
    assert response.status_code == 302
    user = _user(app, "relawan")
    assert (user.full_name, user.role, user.kelurahan_id) == (
        "Relawan Pindah",
        "staff",
        world.other_kelurahan_id,
    )
    with app.app_context():
        assert db.session.get(User, volunteer_id).assigned_rts == []  # no longer a volunteer


def test_staff_manage_only_their_volunteers(app, client, login_as, world):
    login_as("staff")
    assert client.get(f"/admin/pengguna/{world.user_ids['volunteer']}/ubah").status_code == 200
    assert client.get(f"/admin/pengguna/{world.user_ids['admin']}/ubah").status_code == 404
    assert client.get(f"/admin/pengguna/{world.user_ids['other_staff']}/ubah").status_code == 404
    assert client.post(f"/admin/pengguna/{world.user_ids['admin']}/aktif").status_code == 404
    # Staff cannot promote their volunteer.
    response = client.post(
        f"/admin/pengguna/{world.user_ids['volunteer']}/ubah",
        data={"full_name": "Relawan", "role": "staff", "kelurahan_id": world.kelurahan_id},
    )
    assert response.status_code == 200 and _user(app, "relawan").role == "volunteer"


def test_nobody_deactivates_themselves(app, client, login_as, world):
    login_as("admin")
    client.post(f"/admin/pengguna/{world.user_ids['admin']}/aktif")
    assert _user(app, "admin").active


def test_reactivated_user_signs_in_again(app, client, login_as, world):
    login_as("admin")
    client.post(f"/admin/pengguna/{world.user_ids['volunteer']}/aktif")
    assert not _user(app, "relawan").active
    assert "Nonaktif" in client.get("/admin/pengguna").text
    client.post(f"/admin/pengguna/{world.user_ids['volunteer']}/aktif")
    other = app.test_client()
    assert (
        other.post("/login", data={"username": "relawan", "password": PASSWORD}).status_code == 302
    )


def test_last_sign_in_is_listed(app, client, login_as, world):
    login_as("admin")
    page = client.get("/admin/pengguna").text
    assert "Terakhir masuk" in page and "belum pernah" in page
    with app.app_context():
        assert db.session.get(User, world.user_ids["admin"]).last_login_at is not None


def test_rt_checkboxes_grouped_by_rw_with_whole_rw_choice(app, client, login_as, world):
    login_as("staff")
    volunteer_id = world.user_ids["volunteer"]
    page = client.get(f"/admin/pengguna/{volunteer_id}/penugasan").text
    assert 'type="checkbox" name="rt_ids"' in page and "Pilih seluruh RW 01" in page
    assert "<select" not in page and "js/rt-assignment.js" in page
    with app.app_context():
        rw2 = db.session.scalar(
            sa.select(Rw).where(Rw.kelurahan_id == world.kelurahan_id, Rw.number == 2)
        )
        rw1_rt2 = db.session.scalar(
            sa.select(Rt.id)
            .join(Rw)
            .where(Rw.kelurahan_id == world.kelurahan_id, Rw.number == 1, Rt.number == 2)
        )
        rw2_id = rw2.id
    # Without JavaScript: the whole-RW box alone assigns every RT of RW 02.
    response = client.post(
        f"/admin/pengguna/{volunteer_id}/penugasan", data={"rw_ids": [rw2_id], "rt_ids": [rw1_rt2]}
    )
    assert response.status_code == 302
    with app.app_context():
        labels = sorted(rt.label for rt in db.session.get(User, volunteer_id).assigned_rts)
    assert labels == ["RT 01/RW 02", "RT 02/RW 01"]
    page = client.get(f"/admin/pengguna/{volunteer_id}/penugasan").text
    assert f'value="{rw2_id}" id="rw-{rw2_id}" data-rw-all checked' in page


def test_whole_rw_of_another_kelurahan_is_refused(app, client, login_as, world):
    login_as("admin")
    with app.app_context():
        foreign_rw = db.session.scalar(
            sa.select(Rw.id).where(Rw.kelurahan_id == world.other_kelurahan_id)
        )
    response = client.post(
        f"/admin/pengguna/{world.user_ids['volunteer']}/penugasan", data={"rw_ids": [foreign_rw]}
    )
    assert response.status_code == 200
    with app.app_context():
        labels = [
            rt.label for rt in db.session.get(User, world.user_ids["volunteer"]).assigned_rts
        ]
    assert labels == ["RT 01/RW 01"]


def test_everyone_can_change_their_password(app, client, login_as):
    for role in ("volunteer", "staff", "admin"):
        client.post("/logout")
        login_as(role)
        page = client.get("/akun")
        assert page.status_code == 200 and "Ubah kata sandi" in page.text
        assert client.get("/akun/kata-sandi").status_code == 200
