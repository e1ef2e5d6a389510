"""examples/santer_client.py run as a separate process against a live server."""

import json
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from nutera.api.clients import ClientInput, register_client
from nutera.extensions import db
from nutera.models import Person, User
from nutera.models.api import ApiScope

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "santer_client.py"


@pytest.fixture
def live(app, world):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_reference_client_checks_status_files_a_complaint_and_follows_the_feed(app, world, live):
    with app.app_context():
        admin = db.session.get(User, world.user_ids["admin"])
        scopes = [s.value for s in ApiScope]
        client, secret = register_client(
            db.session,
            admin,
            ClientInput("SANTER", scopes, [world.kelurahan_id]),
            date(2026, 12, 1),
        )
        db.session.commit()
        person = db.session.get(Person, world.person_ids["assigned"])
        # "--option=value": a generated secret may begin with "-", which argparse would
        # otherwise take for an option of its own.
        args = [f"--client-id={client.client_id}", f"--client-secret={secret}"]
        args += ["--nik", person.nik, "--name", person.name, "--kelurahan", "3273021003"]
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--base", live, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"]["found"] is True
    assert report["complaint"]["code"].startswith("NTR-")
    assert report["changes"] >= 3  # the world's records and the complaint
    again = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE),
            "--base",
            live,
            *args[:-2],
            "--after",
            report["last_cursor"],
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert json.loads(again.stdout)["changes"] == 0  # nothing missed, nothing twice
