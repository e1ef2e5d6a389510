"""The schema comes only from migrations, and they match the models."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from nutera.audit import Actor
from nutera.extensions import db
from nutera.models import Enrollment, Household, Person
from nutera.refresh import commit, staging
from tests.factories_refresh import copy_sample, make_sample_kelurahan


def test_migrated_schema_matches_the_models(app_ctx):
    # The test database was built by `flask db upgrade` (tests/dbutil.py), not create_all.
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_have_a_single_head(app_ctx):
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_downgrading_0008_spells_out_the_created_ranges_for_the_older_revert(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'scratch.sqlite3'}")
    with app.app_context():
        upgrade()
        kelurahan = make_sample_kelurahan(db.session)
        path = copy_sample("dtks_tamansari_semicolon.csv", tmp_path)
        refresh = staging.create_refresh(db.session, kelurahan.id, None, "DTKS", path, path.name)
        staging.analyse(db.session, refresh)
        commit.commit_refresh(db.session, refresh, Actor(None, "test"))
        db.session.commit()
        created = {
            entity: set(db.session.scalars(sa.select(model.id)))
            for entity, model in (
                ("person", Person),
                ("household", Household),
                ("enrollment", Enrollment),
            )
        }
        db.session.remove()
        downgrade(revision="0007")
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT entity, entity_id FROM refresh_change WHERE action = 'create'")
            ).all()
        db.engine.dispose()
    assert {entity: {i for e, i in rows if e == entity} for entity in created} == created
