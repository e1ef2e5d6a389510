"""Who may see which records: the one scoping helper, through real pages."""

import pytest
import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import AuditLog, Household, Person, User
from nutera.scoping import scoped_select


def _visible_household_ids(app, role_user_id):
    with app.app_context():
        user = db.session.get(User, role_user_id)
        return set(
            db.session.scalars(scoped_select(Household, user).with_only_columns(Household.id))
        )


def test_staff_sees_only_their_kelurahan(app, world):
    ids = _visible_household_ids(app, world.user_ids["staff"])
    assert ids == {world.household_ids["assigned"], world.household_ids["unassigned"]}


def test_volunteer_sees_only_assigned_rts(app, world):
    ids = _visible_household_ids(app, world.user_ids["volunteer"])
    assert ids == {world.household_ids["assigned"]}
    with app.app_context():
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        people = set(
            db.session.scalars(scoped_select(Person, volunteer).with_only_columns(Person.id))
        )
    assert people == {world.person_ids["assigned"]}


def test_admin_sees_everything(app, world):
    assert _visible_household_ids(app, world.user_ids["admin"]) == set(
        world.household_ids.values()
    )


def test_staff_gets_404_not_403_for_another_kelurahans_household(client, login_as, world):
    login_as("staff")
    assert client.get(f"/registri/kk/{world.household_ids['assigned']}").status_code == 200
    assert client.get(f"/registri/kk/{world.household_ids['other']}").status_code == 404


def test_staff_gets_404_for_another_kelurahans_user(client, login_as, world):
    login_as("other_staff")
    response = client.get(f"/admin/pengguna/{world.user_ids['volunteer']}/penugasan")
    assert response.status_code == 404


def test_volunteer_gets_404_outside_their_rt(client, login_as, world):
    login_as("volunteer")
    assert client.get(f"/registri/kk/{world.household_ids['assigned']}").status_code == 200
    assert client.get(f"/registri/kk/{world.household_ids['unassigned']}").status_code == 404
    assert client.get(f"/registri/kk/{world.household_ids['other']}").status_code == 404


def test_household_list_shows_only_scope(client, login_as, world, app):
    with app.app_context():
        kks = {
            key: db.session.get(Household, hid).kk_number
            for key, hid in world.household_ids.items()
        }
    login_as("volunteer")
    page = client.get("/registri/kk").get_data(as_text=True)
    assert kks["assigned"] in page
    assert kks["unassigned"] not in page and kks["other"] not in page


def test_models_without_kelurahan_cannot_be_scoped(app, world):
    from nutera.models import Rw
    from nutera.scoping import visible_to

    with app.app_context():
        staff = db.session.get(User, world.user_ids["staff"])
        assert {rw.kelurahan_id for rw in db.session.scalars(scoped_select(Rw, staff))} == {
            world.kelurahan_id
        }

        class Unowned:
            """A mapped-looking class without kelurahan_id."""

        with pytest.raises(TypeError):
            visible_to(Unowned, staff)


def test_audit_log_is_scoped_to_kelurahan(app, client, login_as, world):
    login_as("admin")
    client.post(
        "/admin/pengguna/baru",
        data={
            "username": "relawan.lebak",
            "full_name": "Relawan Lebak",
            "role": "volunteer",
            "kelurahan_id": world.other_kelurahan_id,
            "password": "rahasia-panjang-1",
        },
    )
    client.post("/logout")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditLog.id))) >= 1
    login_as("staff")
    assert "relawan.lebak" not in client.get("/admin/audit").get_data(as_text=True)
    client.post("/logout")
    login_as("other_staff")
    assert "relawan.lebak" in client.get("/admin/audit").get_data(as_text=True)
