"""Create, migrate and empty the test database (SQLite file or TEST_DATABASE_URL)."""

import sqlalchemy as sa
from flask_migrate import upgrade

from nutera.extensions import db


def reset_to_migrated_schema(app) -> None:
    """Drop everything and build the schema from the migrations only."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            db.drop_all()
            with engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        db.session.remove()


def empty_all_tables(app) -> None:
    """Delete every row (keeping the migrated schema) so the next test starts clean."""
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in reversed(tables):
                    conn.execute(sa.text(f"DELETE FROM {name}"))
