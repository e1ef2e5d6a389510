"""flask backup create / verify / restore: a snapshot taken during a commit restores whole."""

import json
import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from nutera.audit import Actor
from nutera.extensions import db
from nutera.models import (
    DistributionRecipient,
    Handover,
    Person,
    Refresh,
    RefreshJob,
    RefreshLock,
)
from nutera.refresh import commit, jobs, staging
from tests.factories_distribution import handover_form, make_event
from tests.factories_refresh import write_csv
from tests.test_refresh_web import world_rows

ON_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")
PASSWORD = "kata-sandi-uji-123"


@pytest.fixture
def instance(app, world, tmp_path):
    """Tamansari with one handover (evidence files) and a previewed refresh with its job."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    with app.app_context():
        event_id = make_event(db.session, world)
        db.session.commit()
        recipient_id = db.session.scalar(
            sa.select(DistributionRecipient.id).where(
                DistributionRecipient.person_id == world.person_ids["assigned"]
            )
        )
    client = app.test_client()
    client.post("/login", data={"username": world.usernames["staff"], "password": PASSWORD})
    response = client.post(
        f"/penyaluran/{event_id}/serah-terima/{recipient_id}",
        data=handover_form(),
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201
    path = write_csv(tmp_path / "w.csv", world_rows())
    with app.app_context():
        refresh = staging.create_refresh(
            db.session, world.kelurahan_id, None, "DTKS", path, path.name
        )
        refresh.mapping = {"nik": "NIK", "kk": "NO KK", "name": "NAMA", "rt": "RT", "rw": "RW"}
        staging.analyse(db.session, refresh)
        job = jobs.create_job(db.session, refresh, "terapkan", None)
        job.status = "berjalan"
        db.session.add(RefreshLock(key=job.lock_key, job_id=job.id))
        db.session.commit()
        return refresh.id


def commit_blocked_half_way(app, refresh_id, half_way: threading.Event, go_on: threading.Event):
    def progress(fraction, message):
        if fraction >= 0.4 and not half_way.is_set():
            half_way.set()
            go_on.wait(30)

    with app.app_context():
        refresh = db.session.get(Refresh, refresh_id)
        commit.commit_refresh(db.session, refresh, Actor(None, "uji"), progress)
        db.session.commit()
        db.session.remove()


def snapshot(app):
    with app.app_context():
        return {
            "persons": sorted(db.session.scalars(sa.select(Person.name))),
            "refresh": db.session.scalar(sa.select(Refresh.status)),
            "handovers": db.session.scalar(sa.select(sa.func.count()).select_from(Handover)),
            "running": db.session.scalar(
                sa.select(sa.func.count())
                .select_from(RefreshJob)
                .where(RefreshJob.status.in_(jobs.UNFINISHED))
            ),
            "locks": db.session.scalar(sa.select(sa.func.count()).select_from(RefreshLock)),
        }


def test_a_backup_taken_during_a_commit_restores_elsewhere_consistent(
    app, instance, tmp_path, make_app
):
    before = snapshot(app)
    half_way, go_on = threading.Event(), threading.Event()
    committer = threading.Thread(
        target=commit_blocked_half_way, args=(app, instance, half_way, go_on)
    )
    committer.start()
    assert half_way.wait(30)
    backup_dir = tmp_path / "cadangan"
    result = app.test_cli_runner().invoke(args=["backup", "create", str(backup_dir)])
    go_on.set()
    committer.join(30)
    assert result.exit_code == 0, result.output
    after_commit = snapshot(app)
    assert after_commit["refresh"] == "diterapkan" and after_commit != before

    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["migration_revision"] and manifest["counts"]["handover"] == 1
    evidence = [name for name in manifest["files"] if name.startswith("uploads/handover/")]
    assert evidence and all(len(digest) == 64 for digest in manifest["files"].values())
    verified = app.test_cli_runner().invoke(args=["backup", "verify", str(backup_dir)])
    assert verified.exit_code == 0 and "utuh" in verified.output

    if ON_POSTGRES:  # one test database: restore over it
        target = app
        refused = target.test_cli_runner().invoke(args=["backup", "restore", str(backup_dir)])
        assert refused.exit_code != 0 and "sudah berisi data" in refused.output
        restored = target.test_cli_runner().invoke(
            args=["backup", "restore", str(backup_dir), "--force"]
        )
    else:  # an empty instance elsewhere
        target = make_app(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'lain.sqlite3'}",
            UPLOAD_FOLDER=str(tmp_path / "lain" / "uploads"),
        )
        with target.app_context():
            upgrade()
            db.session.remove()
        restored = target.test_cli_runner().invoke(args=["backup", "restore", str(backup_dir)])
    assert restored.exit_code == 0, restored.output
    assert "1 acara diperiksa, 0 rusak" in restored.output
    # The commit was not visible when the backup was taken: the registry is wholly old, the
    # job that was running is failed and no lock row blocks the source.
    assert snapshot(target) == {**before, "running": 0, "locks": 0}
    with target.app_context():
        assert jobs.running_job(db.session, instance) is None
        upload = Path(target.config["UPLOAD_FOLDER"])
        photo = db.session.scalar(sa.select(Handover.photo_path))
        assert (upload / photo).exists()


def test_verify_finds_a_changed_file_and_restore_refuses_it(app, instance, tmp_path, make_app):
    backup_dir = tmp_path / "cadangan"
    assert app.test_cli_runner().invoke(args=["backup", "create", str(backup_dir)]).exit_code == 0
    photo = next((backup_dir / "uploads" / "handover").rglob("*.jpg"))
    photo.write_bytes(b"diubah")
    result = app.test_cli_runner().invoke(args=["backup", "verify", str(backup_dir)])
    assert result.exit_code == 1 and "SHA-256 tidak cocok" in result.output
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(backup_dir), "--force"])
    assert result.exit_code != 0 and "tidak utuh" in result.output


def test_backup_refuses_a_folder_that_is_not_empty(app, tmp_path):
    (tmp_path / "isi.txt").write_text("x")
    result = app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path)])
    assert result.exit_code != 0 and "tidak kosong" in result.output
