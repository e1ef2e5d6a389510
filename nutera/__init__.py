"""Nutera: getting social assistance to the right households of a kelurahan."""

import os
from pathlib import Path

from flask import Flask

from nutera import db_timeouts, redis_fallback, sqlite_journal, upload_limits
from nutera.config import DefaultConfig, database_url, load_secret_key

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask app: config -> extensions -> blueprints -> errors -> cli."""
    instance_path = (
        (test_config or {}).get("INSTANCE_PATH")
        or os.environ.get("NUTERA_INSTANCE_PATH")
        or str(ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    configure(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    return app


def configure(app: Flask, test_config: dict | None) -> None:
    """Defaults, then instance/config.py, then NUTERA_* environment, then test overrides."""
    app.config.from_object(DefaultConfig)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("NUTERA")
    if os.environ.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = os.environ["RATELIMIT_STORAGE_URI"]
    if test_config:
        app.config.update(test_config)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", database_url(app.instance_path))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    # NUTERA_UPLOAD_DIR: one folder every web server and worker shares (e.g. an NFS mount).
    app.config.setdefault(
        "UPLOAD_FOLDER", app.config.get("UPLOAD_DIR") or str(Path(app.instance_path) / "uploads")
    )
    redis_fallback.configure(app.config)
    upload_limits.configure(app.config)
    db_timeouts.configure(app.config)
    if app.config["PROXY_FIX_X_FOR"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]), x_proto=1)
    warn_if_insecure(app)


def warn_if_insecure(app: Flask) -> None:
    """Say loudly at startup when a production run would send session cookies over HTTP."""
    if app.debug or app.config.get("SESSION_COOKIE_SECURE"):
        return
    app.logger.warning(
        "!!! NUTERA_SESSION_COOKIE_SECURE is off outside DEBUG: session cookies travel over "
        "plain HTTP and can be stolen on the network. Serve Nutera behind HTTPS and set "
        "NUTERA_SESSION_COOKIE_SECURE=true. !!!"
    )


def register_extensions(app: Flask) -> None:
    """Bind every extension to the app."""
    from nutera import (  # noqa: F401  (importing registers hooks)
        audit,
        bounds,
        changes,
        formatting,
        headers,
        security,
        serverstore,
    )
    from nutera.auth import readonly
    from nutera.extensions import bootstrap, csrf, db, limiter, login_manager, migrate
    from nutera.ops import metrics

    bounds.init_app(app)  # before any route is added: it replaces the int converter
    db.init_app(app)
    with app.app_context():
        db_timeouts.init_app(app, db.engine)
        sqlite_journal.init_app(app, db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    upload_limits.init_app(app)  # before CSRF, which reads the body
    csrf.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    redis_fallback.init_app(app)
    skip_limiter_hook_for_self_limited_routes(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Silakan masuk terlebih dahulu."
    login_manager.login_message_category = "warning"
    # Off on purpose: for our permanent sessions "strong" acts like "basic", and "basic"
    # only marks sessions non-fresh (freshness is not used) while rewriting the cookie of
    # every anonymous visitor. A session is renewed at sign-in (session.clear()), and its
    # cookie is HttpOnly, SameSite=Lax and, behind HTTPS, Secure.
    login_manager.session_protection = None
    formatting.init_app(app)
    headers.init_app(app)
    serverstore.init_app(app)
    security.init_app(app)
    readonly.init_app(app)
    metrics.init_app(app)


# Routes that count their own limits in one storage round trip (lookup/guard.py for /cek,
# api/auth.py per API client): Flask-Limiter's per-request hook has no limit to apply to
# them (no decorator; no application or default limits are configured) and only cost CPU
# there, so it is not run for them.
SELF_LIMITED_ENDPOINTS = frozenset({"lookup.lookup"})


def _limits_counted_by_the_view() -> bool:
    """True for the routes that count their own limits."""
    from flask import request

    from nutera.api.resources import BLUEPRINT_NAMES

    return request.endpoint in SELF_LIMITED_ENDPOINTS or request.blueprint in BLUEPRINT_NAMES


def skip_limiter_hook_for_self_limited_routes(app: Flask) -> None:
    """Wrap Flask-Limiter's before-request hook so it does not run for those routes, unless
    the operator configured default or application-wide limits (which must cover them)."""
    from functools import wraps

    if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        return

    from nutera.extensions import limiter

    hooks = app.before_request_funcs.setdefault(None, [])
    for index, hook in enumerate(hooks):
        if hook == limiter._check_request_limit:

            @wraps(hook)
            def check_request_limit(hook=hook):
                if not _limits_counted_by_the_view():
                    return hook()

            hooks[index] = check_request_limit
            return


# (module, URL prefix): one blueprint per feature, each module exposing `bp`.
BLUEPRINTS = (
    ("nutera.main", None),
    ("nutera.auth", None),
    ("nutera.admin", "/admin"),
    ("nutera.registry", "/registri"),
    ("nutera.surveys", "/survei"),
    ("nutera.programs", None),
    ("nutera.lookup", None),
    ("nutera.targeting", "/kelola/sasaran"),
    ("nutera.refresh", "/pemutakhiran"),
    ("nutera.sanding", "/sanding"),
    ("nutera.complaints", None),
    ("nutera.distribution", "/penyaluran"),
    ("nutera.captcha", None),
    ("nutera.regions.routes", "/admin/kelurahan"),
    ("nutera.volunteers", None),
    ("nutera.equity.routes", None),
    ("nutera.city", None),
    ("nutera.offline", None),
)


def register_blueprints(app: Flask) -> None:
    """Mount one blueprint per feature, then the integration API."""
    from importlib import import_module

    from nutera import api

    for module_name, prefix in BLUEPRINTS:
        app.register_blueprint(import_module(module_name).bp, url_prefix=prefix)
    api.init_app(app)


def register_errors(app: Flask) -> None:
    """Indonesian error pages, JSON problems under /api."""
    from nutera.errors import init_app

    init_app(app)


def register_cli(app: Flask) -> None:
    """Command groups, one per feature."""
    from nutera.auth.cli import users_cli
    from nutera.city.cli import city_cli
    from nutera.complaints.cli import complaints_cli
    from nutera.demo.cli import demo_cli
    from nutera.distribution.cli import distribution_cli
    from nutera.equity.cli import equity_cli
    from nutera.ops.cli import backup_cli, storage_cli
    from nutera.programs.cli import programs_cli
    from nutera.queue import queue_cli
    from nutera.refresh.cli import refresh_cli
    from nutera.regions.cli import regions_cli

    for group in (
        users_cli,
        demo_cli,
        programs_cli,
        refresh_cli,
        complaints_cli,
        distribution_cli,
        regions_cli,
        storage_cli,
        backup_cli,
        equity_cli,
        queue_cli,
        city_cli,
    ):
        app.cli.add_command(group)
