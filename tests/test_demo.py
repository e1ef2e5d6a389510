"""The demo Kelurahan Tamansari."""

import re

import sqlalchemy as sa

from nutera.demo.services import DemoFigures, seed_demo
from nutera.extensions import db
from nutera.identity import parse_kk, parse_nik
from nutera.models import AidProgram, Enrollment, Household, Person, Rt, Rw, User

SMALL = DemoFigures(
    residents=400,
    men=199,
    households=110,
    households_rw_01_05=40,
    rw_count=7,
    programs={"PKH": 17, "BST": 9, "BPNT": 6, "ATM-BERAS": 4},
)


def _count(stmt):
    return db.session.scalar(stmt)


def test_full_demo_reproduces_the_published_figures(app_ctx):
    accounts = seed_demo(db.session)
    db.session.commit()
    assert _count(sa.select(sa.func.count(Person.id))) == 24_897
    assert _count(sa.select(sa.func.count(Person.id)).where(Person.sex == "L")) == 12_431
    assert _count(sa.select(sa.func.count(Person.id)).where(Person.sex == "P")) == 12_466
    assert _count(sa.select(sa.func.count(Household.id))) == 6_598
    in_rw_01_05 = (
        sa.select(sa.func.count(Household.id))
        .join(Rt, Household.rt_id == Rt.id)
        .join(Rw, Rt.rw_id == Rw.id)
        .where(Rw.number <= 5)
    )
    assert _count(in_rw_01_05) == 2_289
    per_program = dict(
        db.session.execute(
            sa.select(AidProgram.code, sa.func.count(Enrollment.id))
            .join(Enrollment, Enrollment.program_id == AidProgram.id)
            .where(Enrollment.status == "aktif")
            .group_by(AidProgram.code)
        ).all()
    )
    assert per_program == {"PKH": 1_073, "BST": 578, "BPNT": 385, "ATM-BERAS": 250}
    assert {a.role for a in accounts} == {"admin", "staff", "volunteer"}
    assert len(accounts) == 4


def test_demo_identities_are_valid_and_consistent(app_ctx):
    seed_demo(db.session, SMALL)
    db.session.commit()
    people = db.session.execute(sa.select(Person.nik, Person.sex, Person.birth_date)).all()
    assert len(people) == 400
    for nik, sex, birth in people:
        info = parse_nik(nik)
        assert nik.startswith("3273")
        assert info.sex == sex and info.birth_date == birth
    for kk in db.session.scalars(sa.select(Household.kk_number)):
        assert parse_kk(kk).kk.startswith("3273")
    assert _count(sa.select(sa.func.count(Person.id)).where(Person.sex == "L")) == 199


def test_demo_is_deterministic(make_app):
    def snapshot():
        app = make_app()
        with app.app_context():
            seed_demo(db.session, SMALL)
            db.session.commit()
            rows = db.session.execute(sa.select(Person.nik, Person.name).order_by(Person.id)).all()
        from tests.dbutil import empty_all_tables

        empty_all_tables(app)
        return rows

    assert snapshot() == snapshot()


def test_demo_accounts_can_sign_in(app, client):
    with app.app_context():
        accounts = seed_demo(db.session, SMALL)
        db.session.commit()
        volunteer = db.session.scalar(sa.select(User).where(User.username == "relawan1"))
        assert volunteer.assigned_rts and all(rt.rw.number == 1 for rt in volunteer.assigned_rts)
    staff = next(a for a in accounts if a.role == "staff")
    response = client.post("/login", data={"username": staff.username, "password": staff.password})
    assert response.status_code == 302


def test_seed_cli_prints_accounts_and_refuses_a_second_run(app, runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert re.search(r"petugas\s+\S{10,}", result.output)
    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code != 0 and "sudah berisi data" in again.output
    if_empty = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert if_empty.exit_code == 0 and "petugas" in if_empty.output


def test_demo_has_program_pages_rules_and_registry_attributes(app, client):
    from nutera.models import ProgramRule

    with app.app_context():
        seed_demo(db.session, SMALL)
        db.session.commit()
        assert _count(sa.select(sa.func.count(ProgramRule.id))) == 4
        with_income = _count(
            sa.select(sa.func.count(Person.id)).where(Person.monthly_income.is_not(None))
        )
        assert 0 < with_income < 400  # adults mostly recorded, children never
        assert (
            _count(
                sa.select(sa.func.count(Household.id)).where(Household.electricity_va.is_not(None))
            )
            > 50
        )
    page = client.get("/program/PKH").get_data(as_text=True)
    assert "Program Keluarga Harapan" in page
