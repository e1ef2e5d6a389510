"""Every change by a signed-in user lands in the audit log."""

import sqlalchemy as sa

from nutera.audit import Actor, set_actor
from nutera.extensions import db
from nutera.models import AuditLog, Household, Person


def _entries(entity=None):
    stmt = sa.select(AuditLog).order_by(AuditLog.id)
    if entity:
        stmt = stmt.where(AuditLog.entity == entity)
    return db.session.scalars(stmt).all()


def test_update_records_before_after_user_and_ip(app_ctx, world):
    set_actor(db.session, Actor(world.user_ids["staff"], "10.1.2.3"))
    person = db.session.get(Person, world.person_ids["assigned"])
    person.name = "SITI AMINAH BINTI ALI"
    db.session.commit()
    [entry] = _entries("person")
    assert entry.action == "update"
    assert entry.user_id == world.user_ids["staff"]
    assert entry.ip == "10.1.2.3"
    assert entry.kelurahan_id == world.kelurahan_id
    assert entry.entity_id == person.id
    assert entry.changes == {"name": {"before": "SITI AMINAH", "after": "SITI AMINAH BINTI ALI"}}


def test_create_and_delete_are_recorded(app_ctx, world):
    set_actor(db.session, Actor(world.user_ids["staff"], "127.0.0.1"))
    household = db.session.get(Household, world.household_ids["assigned"])
    person = Person(
        kelurahan_id=household.kelurahan_id,
        household_id=household.id,
        nik="3273021508100001",
        name="ANAK BARU",
        sex="L",
        birth_date=__import__("datetime").date(2010, 8, 15),
        relation="anak",
    )
    db.session.add(person)
    db.session.commit()
    db.session.delete(person)
    db.session.commit()
    create, delete = _entries("person")
    assert create.action == "create" and create.changes["after"]["nik"] == "3273021508100001"
    assert delete.action == "delete" and delete.changes["before"]["name"] == "ANAK BARU"


def test_nothing_is_recorded_without_an_actor(app_ctx, world):
    db.session.get(Person, world.person_ids["assigned"]).name = "TANPA JEJAK"
    db.session.commit()
    assert _entries("person") == []


def test_password_hash_never_enters_the_log(app, client, login_as, world):
    login_as("admin")
    client.post(
        "/admin/pengguna/baru",
        data={
            "username": "relawan.baru",
            "full_name": "Relawan Baru",
            "role": "volunteer",
            "kelurahan_id": world.kelurahan_id,
            "password": "rahasia-panjang-1",
        },
    )
    with app.app_context():
        [entry] = _entries("user_account")
        assert entry.action == "create"
        assert "password_hash" not in entry.changes["after"]
        assert entry.changes["after"]["username"] == "relawan.baru"
        assert entry.user_id == world.user_ids["admin"]
        assert entry.ip == "127.0.0.1"


def test_failed_transaction_leaves_no_audit_row(app_ctx, world):
    set_actor(db.session, Actor(world.user_ids["staff"]))
    db.session.get(Person, world.person_ids["assigned"]).name = "BATAL"
    db.session.flush()
    db.session.rollback()
    assert _entries("person") == []
