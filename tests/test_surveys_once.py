"""One active survey per household and period, held by the database; a repeated submit is a no-op.

The races run real threads on PostgreSQL; on SQLite (which serialises writers) the same
requests run one after another and still meet the unique index.
"""

import os
import threading
from datetime import date

import pytest
import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import Survey, SurveyStatusEvent, User
from nutera.surveys import services
from tests import factories
from tests.conftest import AuthActions
from tests.factories_surveys import form_data, make_survey, member

ON_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")
MODE = "concurrent" if ON_POSTGRES else "sequential"
KK = "3273020106150077"


def members():
    return [member("BUDI SANTOSO", "kepala"), member("SITI", "istri", "P", date(1992, 8, 3))]


def run(mode, calls):
    if mode == "sequential":
        return [call() for call in calls]
    results = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def worker(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=worker, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def volunteer_client(app, username):
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


@pytest.fixture
def volunteers(app, world):
    """Ten volunteers of RT 01/RW 01 of Tamansari; returns (usernames, rt_id)."""
    with app.app_context():
        first = db.session.get(User, world.user_ids["volunteer"])
        rt = first.assigned_rts[0]
        kelurahan = first.kelurahan
        names = [first.username]
        for n in range(9):
            user = factories.make_user(db.session, f"relawan{n}", "volunteer", kelurahan)
            factories.assign_rts(db.session, user, [rt.id])
            names.append(user.username)
        db.session.commit()
        return names, rt.id


@pytest.mark.parametrize("mode", [MODE])
def test_ten_volunteers_submitting_the_same_kk_at_once_give_one_survey(app, volunteers, mode):
    usernames, rt_id = volunteers
    clients = [volunteer_client(app, name) for name in usernames]
    urls = [c.post("/survei/mulai", data={"rt_id": rt_id}).headers["Location"] for c in clients]
    responses = run(
        mode,
        [
            lambda c=c, u=u: c.post(u, data=form_data(rt_id, members(), kk=KK))
            for c, u in zip(clients, urls, strict=True)
        ],
    )
    codes = [r.status_code for r in responses]
    assert 500 not in codes
    assert codes.count(302) == 1 and codes.count(422) == 9, codes
    for response in responses:
        if response.status_code == 422:
            page = response.get_data(as_text=True)
            assert "KK ini" in page and "periode ini" in page  # a clear Indonesian reason
    with app.app_context():
        active = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Survey)
            .where(Survey.kk_number == KK, Survey.status.in_(("submitted", "verified")))
        )
        assert active == 1


@pytest.mark.parametrize("mode", [MODE])
def test_one_survey_submitted_five_times_at_once_is_submitted_once(app, volunteers, mode):
    usernames, rt_id = volunteers
    clients = [volunteer_client(app, usernames[0]) for _ in range(5)]
    url = clients[0].post("/survei/mulai", data={"rt_id": rt_id}).headers["Location"]
    responses = run(
        mode, [lambda c=c: c.post(url, data=form_data(rt_id, members(), kk=KK)) for c in clients]
    )
    assert [r.status_code for r in responses] == [302] * 5
    with app.app_context():
        survey = db.session.scalar(sa.select(Survey))
        assert survey.status == "submitted"
        submitted = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SurveyStatusEvent)
            .where(SurveyStatusEvent.status == "submitted")
        )
        assert submitted == 1


def test_the_database_refuses_a_second_active_survey_of_a_kk_and_period(app_ctx, world):
    volunteer = db.session.get(User, world.user_ids["volunteer"])
    rt = volunteer.assigned_rts[0]
    make_survey(db.session, volunteer, rt, kk=KK)
    db.session.commit()
    make_survey(db.session, volunteer, rt, kk=KK, status="rejected")  # a rejected one is fine
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        make_survey(db.session, volunteer, rt, kk=KK)
        db.session.flush()
    db.session.rollback()


def test_losing_the_race_keeps_the_typing_as_a_draft(app, volunteers, monkeypatch):
    usernames, rt_id = volunteers
    client = volunteer_client(app, usernames[1])
    url = client.post("/survei/mulai", data={"rt_id": rt_id}).headers["Location"]
    with app.app_context():
        first = db.session.scalar(sa.select(User).where(User.username == usernames[0]))
        winner_id = make_survey(db.session, first, first.assigned_rts[0], kk=KK).id
        db.session.commit()
    # The duplicate check ran before the winner committed: the index has the last word.
    monkeypatch.setattr("nutera.surveys.routes.blocking_problems", lambda *a: {})
    response = client.post(url, data=form_data(rt_id, members(), kk=KK, address="Jl. Ketik 9"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and services.TAKEN.split(",")[0] in page
    assert "Jl. Ketik 9" in page
    with app.app_context():
        mine = db.session.scalar(sa.select(Survey).where(Survey.id != winner_id))
        assert mine.status == "draft" and ["address", "Jl. Ketik 9"] in mine.draft
