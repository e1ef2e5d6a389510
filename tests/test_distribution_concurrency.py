"""Exactly once: the database refuses a second handover of a recipient in the same event.

On PostgreSQL two phones post the same handover at the same moment (real concurrent
requests released by a barrier); on SQLite, which serialises writers and would hide the
race, the same requests run one after the other and still meet the database constraint.
CI runs the suite on both.
"""

import os
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from nutera.extensions import db
from nutera.models import DistributionRecipient, Handover
from tests.conftest import AuthActions
from tests.factories_distribution import handover_form, make_event

ON_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")


@pytest.fixture
def target(app, world, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    with app.app_context():
        event_id = make_event(db.session, world)
        db.session.commit()
        recipient_id = db.session.scalar(
            sa.select(DistributionRecipient.id).where(
                DistributionRecipient.person_id == world.person_ids["assigned"]
            )
        )
    return event_id, recipient_id


def run_together(mode: str, calls: list) -> None:
    """Run the (function, args) calls at once in threads, or one after the other."""
    if mode == "sequential":
        for function, args in calls:
            function(*args)
        return
    threads = [threading.Thread(target=function, args=args) for function, args in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


def phone(app, username):
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


@pytest.mark.parametrize("mode", ["concurrent" if ON_POSTGRES else "sequential"])
def test_two_phones_submitting_the_same_handover_yield_one_record(app, world, target, mode):
    event_id, recipient_id = target
    phones = [phone(app, world.usernames["staff"]), phone(app, world.usernames["admin"])]
    barrier = threading.Barrier(len(phones))
    statuses, bodies = [], []

    def submit(client, key):
        if mode == "concurrent":
            barrier.wait(timeout=10)
        response = client.post(
            f"/penyaluran/{event_id}/serah-terima/{recipient_id}",
            data=handover_form(key=key),
            headers={"Accept": "application/json"},
        )
        statuses.append(response.status_code)
        bodies.append(response.get_json())

    run_together(
        mode,
        [(submit, (client, f"phone-{n}-0123456789abcdef")) for n, client in enumerate(phones)],
    )

    assert sorted(statuses) == [201, 409], bodies
    refusal = next(body for body in bodies if body["status"] == "duplicate")
    assert refusal["received_at"] in refusal["message"]
    with app.app_context():
        rows = db.session.scalars(sa.select(Handover)).all()
        assert len(rows) == 1 and rows[0].seq == 1
        assert refusal["handover_id"] == rows[0].id


@pytest.mark.parametrize("mode", ["concurrent" if ON_POSTGRES else "sequential"])
def test_handovers_of_different_recipients_at_once_keep_one_unbroken_chain(
    app, world, target, mode
):
    from nutera.distribution.chain import verify_event
    from nutera.models import DistributionEvent

    event_id, _ = target
    with app.app_context():
        recipients = db.session.scalars(
            sa.select(DistributionRecipient.id).order_by(DistributionRecipient.id)
        ).all()
    phones = [phone(app, world.usernames["staff"]), phone(app, world.usernames["admin"])]
    barrier = threading.Barrier(len(phones))
    statuses = []

    def submit(client, recipient_id):
        if mode == "concurrent":
            barrier.wait(timeout=10)
        statuses.append(
            client.post(
                f"/penyaluran/{event_id}/serah-terima/{recipient_id}",
                data=handover_form(key=f"recipient-{recipient_id}-0123456789abcdef"),
                headers={"Accept": "application/json"},
            ).status_code
        )

    run_together(mode, [(submit, pair) for pair in zip(phones, recipients, strict=False)])

    assert statuses == [201, 201]
    with app.app_context():
        assert db.session.scalars(sa.select(Handover.seq).order_by(Handover.seq)).all() == [1, 2]
        assert verify_event(db.session.get(DistributionEvent, event_id)) == []


def test_the_database_itself_refuses_a_second_original_row(app, world, target):
    event_id, recipient_id = target
    phones = phone(app, world.usernames["staff"])
    response = phones.post(
        f"/penyaluran/{event_id}/serah-terima/{recipient_id}",
        data=handover_form(),
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201
    with app.app_context():
        first = db.session.scalar(sa.select(Handover))
        copy = {
            c.key: getattr(first, c.key)
            for c in sa.inspect(Handover).column_attrs
            if c.key != "id"
        }
        copy.update(idempotency_key="another-key-0123456789", seq=2)
        with pytest.raises(IntegrityError):
            db.session.execute(sa.insert(Handover).values(**copy))
        db.session.rollback()
        # A correction (referencing the first) is allowed for the same recipient.
        copy.update(corrects_id=first.id)
        db.session.execute(sa.insert(Handover).values(**copy))
        db.session.commit()
