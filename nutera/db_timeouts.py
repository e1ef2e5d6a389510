"""Time limits on the database, chosen on purpose.

PostgreSQL: a statement in a web request is cancelled after DB_STATEMENT_TIMEOUT_SECONDS
(15 s by default) so a stalled database holds no worker for longer than that; jobs and
commands (no request) run without a limit. Connecting gives up after
DB_CONNECT_TIMEOUT_SECONDS. SQLite: a writer waits SQLITE_BUSY_TIMEOUT_SECONDS for the
write lock before giving up (Python's default of 5 s is too short while a refresh commits).
The error page for a cancelled statement is a 503 in Indonesian (nutera/errors).
"""

import sqlalchemy as sa
from flask import has_request_context

DEFAULTS = {
    "DB_STATEMENT_TIMEOUT_SECONDS": 15,
    "DB_CONNECT_TIMEOUT_SECONDS": 5,
    "SQLITE_BUSY_TIMEOUT_SECONDS": 15,
}
_INFO_KEY = "nutera_statement_timeout_ms"


def configure(config) -> None:
    """Connection arguments for the configured database."""
    for key, value in DEFAULTS.items():
        config.setdefault(key, value)
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    uri = str(config["SQLALCHEMY_DATABASE_URI"])
    if uri.startswith("sqlite"):
        connect_args.setdefault("timeout", float(config["SQLITE_BUSY_TIMEOUT_SECONDS"]))
    elif uri.startswith("postgresql"):
        connect_args.setdefault("connect_timeout", int(config["DB_CONNECT_TIMEOUT_SECONDS"]))
    options["connect_args"] = connect_args
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def init_app(app, engine) -> None:
    """Give each PostgreSQL connection the statement timeout of what checks it out."""
    if engine.dialect.name != "postgresql":
        return
    web_ms = int(float(app.config["DB_STATEMENT_TIMEOUT_SECONDS"]) * 1000)

    @sa.event.listens_for(engine, "checkout")
    def _statement_timeout(dbapi_connection, record, proxy):
        wanted = web_ms if has_request_context() else 0
        if record.info.get(_INFO_KEY) == wanted:
            return
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {wanted}")
        dbapi_connection.commit()
        record.info[_INFO_KEY] = wanted
