"""One draft per household per volunteer per period; drafts named, discardable; the RT's KKs."""

import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import AuditLog, Household, Kelurahan, Survey
from nutera.surveys.households import natural_key
from tests import factories


def start_on(client, world, app, key="assigned"):
    with app.app_context():
        household = db.session.get(Household, world.household_ids[key])
        rt_id, kk = household.rt_id, household.kk_number
    return client.post("/survei/mulai", data={"rt_id": rt_id, "kk": kk})


def drafts(app):
    with app.app_context():
        return list(db.session.scalars(sa.select(Survey).where(Survey.status == "draft")))


def test_tapping_survei_twice_opens_the_same_draft(client, login_as, world, app):
    login_as("volunteer")
    first = start_on(client, world, app)
    second = start_on(client, world, app)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(drafts(app)) == 1


def test_drafts_list_the_kk_and_head_and_can_be_discarded(client, login_as, world, app):
    login_as("volunteer")
    start_on(client, world, app)
    (draft,) = drafts(app)
    page = client.get("/survei/").get_data(as_text=True)
    assert f"KK {draft.kk_number}" in page and "SITI AMINAH" in page
    assert "KK belum diisi" not in page
    response = client.post(f"/survei/{draft.id}/buang")
    assert response.status_code == 302
    assert drafts(app) == []
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditLog).where(
                AuditLog.entity == "survey",
                AuditLog.entity_id == draft.id,
                AuditLog.action == "delete",
            )
        )
    assert entry is not None and entry.user_id == world.user_ids["volunteer"]
    # A new start after discarding makes a fresh draft.
    start_on(client, world, app)
    assert len(drafts(app)) == 1


def test_only_own_unsent_drafts_can_be_discarded(client, login_as, world, app):
    from nutera.models import User
    from tests.factories_surveys import make_survey

    with app.app_context():
        tamansari = db.session.get(Kelurahan, world.kelurahan_id)
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        submitted = make_survey(db.session, volunteer, factories.rt_of(tamansari, 1, 1)).id
        other = factories.make_user(db.session, "relawan.dua", "volunteer", tamansari)
        from nutera.auth.services import assign_rts

        assign_rts(db.session, other, [factories.rt_of(tamansari, 1, 1).id])
        db.session.commit()
    login_as("volunteer")
    client.post(f"/survei/{submitted}/buang")
    with app.app_context():
        assert db.session.get(Survey, submitted).status == "submitted"
    start_on(client, world, app)
    (mine,) = drafts(app)
    client.post("/logout")
    client.post("/login", data={"username": "relawan.dua", "password": factories.PASSWORD})
    assert client.post(f"/survei/{mine.id}/buang").status_code == 404
    assert len(drafts(app)) == 1


def test_simpan_draf_keeps_the_typing_without_submitting(client, login_as, world, app):
    login_as("volunteer")
    location = start_on(client, world, app).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Simpan draf" in page and "Kirim survei" in page
    response = client.post(
        location, data={"action": "draft", "kk_number": "32730201", "address": "Jl. Baru No. 3"}
    )
    assert response.status_code == 302
    (draft,) = drafts(app)
    assert ["address", "Jl. Baru No. 3"] in draft.draft and draft.status == "draft"
    assert "Jl. Baru No. 3" in client.get(location).get_data(as_text=True)


def test_natural_key_orders_house_numbers_as_numbers():
    addresses = ["Jl. A No. 109", "Jl. A No. 151", "Jl. A No. 23", "Jl. A No. 3", "Gg. B No. 2"]
    assert sorted(addresses, key=natural_key) == [
        "Gg. B No. 2",
        "Jl. A No. 3",
        "Jl. A No. 23",
        "Jl. A No. 109",
        "Jl. A No. 151",
    ]


def test_rt_kk_list_shows_heads_searches_and_sorts_naturally(client, login_as, world, app):
    with app.app_context():
        tamansari = db.session.get(Kelurahan, world.kelurahan_id)
        rt = factories.rt_of(tamansari, 1, 1)
        for number, head in ((23, "BAMBANG"), (3, "CICI"), (109, "DEDI")):
            household = factories.make_household(
                db.session, rt, [{"name": head, "relation": "kepala"}]
            )
            household.address = f"Jl. Uji No. {number}"
        db.session.commit()
        rt_id = rt.id
    login_as("volunteer")
    page = client.get(f"/survei/rt/{rt_id}/kk").get_data(as_text=True)
    order = [page.index(f"Jl. Uji No. {n}<") for n in (1, 3, 23, 109)]
    assert order == sorted(order)
    assert "SITI AMINAH" in page and "BAMBANG" in page
    found = client.get(f"/survei/rt/{rt_id}/kk?q=cici").get_data(as_text=True)
    assert "CICI" in found and "BAMBANG" not in found and "1 KK" in found


def test_survei_on_a_kk_returned_for_correction_opens_that_survey(client, login_as, world, app):
    from nutera.models import User
    from tests.factories_surveys import make_survey

    with app.app_context():
        household = db.session.get(Household, world.household_ids["assigned"])
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        returned = make_survey(db.session, volunteer, household.rt, kk=household.kk_number)
        returned.status = "returned"
        db.session.commit()
        returned_id = returned.id
    login_as("volunteer")
    response = start_on(client, world, app)
    assert response.headers["Location"].endswith(f"/survei/{returned_id}/isi")
    assert drafts(app) == []
