"""Real headless Chromium (Debian's package) against a live server with the full demo."""

import os
import threading
import time

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from nutera import create_app
from nutera.demo.services import seed_demo
from nutera.extensions import db
from tests.dbutil import reset_to_migrated_schema
from tests.processes import start_queue_worker, stop

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app on its own SQLite file, migrated and seeded with the full demo kelurahan."""
    folder = tmp_path_factory.mktemp("e2e")
    app = create_app(
        {
            "SECRET_KEY": "e2e",
            "INSTANCE_PATH": str(folder),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'e2e.sqlite3'}",
            "RATELIMIT_STORAGE_URI": "memory://",
            # Every journey signs in from 127.0.0.1: on a quick machine they pass the
            # production limit of 10 sign-ins a minute. /cek keeps its limits (tested).
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    reset_to_migrated_schema(app)
    with app.app_context():
        app.demo_accounts = {a.username: a.password for a in seed_demo(db.session)}
        db.session.commit()
    return app


@pytest.fixture(scope="session")
def queue_worker(live_app):
    """A real queue consumer process for live_app (refresh jobs run there, as in production)."""
    env = {
        **os.environ,
        "DATABASE_URL": live_app.config["SQLALCHEMY_DATABASE_URI"],
        "NUTERA_INSTANCE_PATH": live_app.instance_path,
        "SECRET_KEY": live_app.config["SECRET_KEY"],
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    env.pop("NUTERA_QUEUE_URL", None)
    worker = start_queue_worker(env)
    yield worker
    stop(worker)


@pytest.fixture(scope="session")
def live_server(live_app, queue_worker):
    """Serve live_app on a free loopback port for the session; yields its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def phone(browser):
    """A page in a 360 px wide touch phone context."""
    context = browser.new_context(**PHONE, locale="id-ID")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(autouse=True)
def no_csp_violation(browser, monkeypatch):
    """Fail any journey whose pages log a Content-Security-Policy violation in the console.

    Every context a journey opens (its own or pytest-playwright's) is watched, so a script,
    style or image the policy blocks shows up here rather than as a silently broken page.
    """
    violations: list[str] = []
    original = type(browser).new_context

    def watched_context(self, *args, **kwargs):
        context = original(self, *args, **kwargs)
        context.on(
            "console",
            lambda message: (
                violations.append(f"{message.type}: {message.text}")
                if "Content Security Policy" in message.text
                or "Content-Security-Policy" in message.text
                else None
            ),
        )
        return context

    monkeypatch.setattr(type(browser), "new_context", watched_context)
    yield violations
    assert violations == [], violations


@pytest.fixture(scope="session")
def pages_app(tmp_path_factory):
    """A second demo app for the page-by-page checks (axe-core, layout): they add records
    and sign in as every role many times, so they get their own database and no login limit
    instead of disturbing the journeys' ids and per-IP limit on live_app."""
    folder = tmp_path_factory.mktemp("pages")
    app = create_app(
        {
            "SECRET_KEY": "e2e-pages",
            "INSTANCE_PATH": str(folder),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'pages.sqlite3'}",
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    reset_to_migrated_schema(app)
    with app.app_context():
        app.demo_accounts = {a.username: a.password for a in seed_demo(db.session)}
        db.session.commit()
    return app


@pytest.fixture(scope="session")
def pages_server(pages_app):
    """Serve pages_app on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, pages_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def wait_until(page, expression: str, timeout: float = 15.0) -> None:
    """Poll a JavaScript expression until it is truthy.

    Not page.wait_for_function: under load its polling evaluates the string with eval(),
    which the pages' strict CSP ('unsafe-eval' absent) refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(100)


def open_menu(page) -> None:
    """Open the phone menu and wait until Bootstrap's collapse animation has finished (a
    click while it still moves can miss its button: seen under load, no request sent)."""
    page.get_by_role("button", name="Buka menu").click()
    expect(page.locator("#nav.collapse.show")).to_be_visible()
    expect(page.locator("#nav.collapsing")).to_have_count(0)


def sign_out(page) -> None:
    """Keluar, through the phone menu when the page shows it collapsed."""
    if page.get_by_role("button", name="Buka menu").is_visible():
        open_menu(page)
    page.get_by_role("button", name="Keluar").click()
    # The next goto must not race the logout POST, or it lands on a still-open session.
    expect(page.get_by_text("Anda sudah keluar.")).to_be_visible(timeout=15_000)
