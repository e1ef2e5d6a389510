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


# Dinas (the whole city) and kecamatan (the kelurahan of one kecamatan): each case above,
# for them. Tamansari lies in kecamatan 327302, Lebakgede in 327303.


def test_dinas_sees_every_kelurahans_households_and_kecamatan_exactly_its_own(app, world):
    assert _visible_household_ids(app, world.user_ids["dinas"]) == set(
        world.household_ids.values()
    )
    assert _visible_household_ids(app, world.user_ids["kecamatan"]) == {
        world.household_ids["assigned"],
        world.household_ids["unassigned"],
    }


def test_dinas_and_kecamatan_see_persons_of_their_scope_not_only_assigned_rts(app, world):
    with app.app_context():
        for role, expected in (
            ("dinas", set(world.person_ids.values())),
            ("kecamatan", {world.person_ids["assigned"], world.person_ids["unassigned"]}),
        ):
            user = db.session.get(User, world.user_ids[role])
            people = set(
                db.session.scalars(scoped_select(Person, user).with_only_columns(Person.id))
            )
            assert people == expected, role


def test_dinas_sees_what_admin_sees(app, world):
    assert _visible_household_ids(app, world.user_ids["dinas"]) == _visible_household_ids(
        app, world.user_ids["admin"]
    )


def test_kecamatan_gets_404_not_403_for_a_household_of_another_kecamatan(client, login_as, world):
    login_as("kecamatan")
    assert client.get(f"/registri/kk/{world.household_ids['assigned']}").status_code == 200
    assert client.get(f"/registri/kk/{world.household_ids['unassigned']}").status_code == 200
    assert client.get(f"/registri/kk/{world.household_ids['other']}").status_code == 404


def test_dinas_reads_a_household_of_any_kelurahan(client, login_as, world):
    login_as("dinas")
    for key in ("assigned", "unassigned", "other"):
        assert client.get(f"/registri/kk/{world.household_ids[key]}").status_code == 200


@pytest.mark.parametrize("role", ["dinas", "kecamatan"])
def test_dinas_and_kecamatan_cannot_open_account_pages(client, login_as, world, role):
    login_as(role)
    response = client.get(f"/admin/pengguna/{world.user_ids['volunteer']}/penugasan")
    assert response.status_code == 403
    assert client.get("/admin/pengguna").status_code == 403


@pytest.mark.parametrize(
    "role, shown",
    [("dinas", {"assigned", "unassigned", "other"}), ("kecamatan", {"assigned", "unassigned"})],
)
def test_household_list_shows_dinas_and_kecamatan_their_scope(
    client, login_as, world, app, role, shown
):
    with app.app_context():
        kks = {
            key: db.session.get(Household, hid).kk_number
            for key, hid in world.household_ids.items()
        }
    login_as(role)
    page = client.get("/registri/kk").get_data(as_text=True)
    for key, kk in kks.items():
        assert (kk in page) == (key in shown), key
        found = client.get("/registri/kk", query_string={"kk": kk}).get_data(as_text=True)
        assert (f"/registri/kk/{world.household_ids[key]}" in found) == (key in shown), key


def test_models_without_kelurahan_id_are_scoped_for_dinas_and_kecamatan(app, world):
    from nutera.models import Rw

    with app.app_context():
        dinas = db.session.get(User, world.user_ids["dinas"])
        kecamatan = db.session.get(User, world.user_ids["kecamatan"])
        assert {rw.kelurahan_id for rw in db.session.scalars(scoped_select(Rw, dinas))} == {
            world.kelurahan_id,
            world.other_kelurahan_id,
        }
        assert {rw.kelurahan_id for rw in db.session.scalars(scoped_select(Rw, kecamatan))} == {
            world.kelurahan_id
        }


def test_a_kecamatan_account_with_a_malformed_code_sees_nothing(app, world):
    with app.app_context():
        kecamatan = db.session.get(User, world.user_ids["kecamatan"])
        kecamatan.kecamatan_code = "3273%"  # never stored (the form refuses it), but never a LIKE
        assert list(db.session.scalars(scoped_select(Household, kecamatan))) == []
        db.session.rollback()


@pytest.mark.parametrize("role", ["dinas", "kecamatan"])
def test_audit_log_is_closed_to_dinas_and_kecamatan(client, login_as, world, role):
    login_as(role)
    assert client.get("/admin/audit").status_code == 403


# The complaint desk: dinas reads every kelurahan's, a kecamatan account its kelurahan's.
def _complaints(app, world) -> dict[str, tuple[int, str]]:
    from tests.factories_complaints import make_complaint

    with app.app_context():
        made = {
            key: make_complaint(db.session, kelurahan_id)
            for key, kelurahan_id in (
                ("own", world.kelurahan_id),
                ("other", world.other_kelurahan_id),
            )
        }
        db.session.commit()
        return {key: (c.id, c.code) for key, c in made.items()}


@pytest.mark.parametrize(
    ("role", "visible"), [("dinas", {"own", "other"}), ("kecamatan", {"own"})]
)
def test_complaint_desk_shows_dinas_and_kecamatan_their_scope(
    client, login_as, app, world, role, visible
):
    complaints = _complaints(app, world)
    login_as(role)
    page = client.get("/meja-pengaduan").get_data(as_text=True)
    for key, (complaint_id, code) in complaints.items():
        assert (code in page) == (key in visible)
        expected = 200 if key in visible else 404  # outside the scope: does not exist
        assert client.get(f"/meja-pengaduan/{complaint_id}").status_code == expected
    # Filtering by a kelurahan outside the scope shows nothing, never its complaints.
    other = client.get("/meja-pengaduan", query_string={"kelurahan": world.other_kelurahan_id})
    assert (complaints["other"][1] in other.get_data(as_text=True)) == ("other" in visible)
