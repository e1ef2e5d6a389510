"""Restoring a backup (nutera/ops/backup.py) into an empty instance, then settling it: no
job of the backed-up instance runs or holds a lock here, and every distribution event's
chain and evidence files are checked."""

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nutera.ops.backup import (
    UPLOADS,
    BackupError,
    check_pg_tools,
    libpq_url,
    read_manifest,
    table_names,
    tool_path,
    verify,
)


@dataclass
class Restored:
    """What a restore did."""

    manifest: dict
    failed_jobs: int = 0
    verified_events: int = 0
    broken_events: list[str] = field(default_factory=list)


def has_data(engine: Engine, upload_folder: Path) -> bool:
    """Whether the instance holds anything a restore would overwrite."""
    if upload_folder.exists() and any(p.is_file() for p in upload_folder.rglob("*")):
        return True
    tables = [t for t in table_names(engine) if t != "alembic_version"]
    with engine.connect() as conn:
        return any(
            conn.execute(sa.text(f'SELECT EXISTS (SELECT 1 FROM "{name}")')).scalar()
            for name in tables
        )


def _restore_sqlite(engine: Engine, database: Path) -> None:
    target = engine.url.database
    engine.dispose()
    with sqlite3.connect(database) as src, sqlite3.connect(target, timeout=60) as dest:
        src.backup(dest)
    engine.dispose()


def _restore_postgres(engine: Engine, database: Path) -> None:
    check_pg_tools(engine)
    engine.dispose()
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    result = subprocess.run(
        [
            tool_path("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={libpq_url(engine)}",
            str(database),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore gagal: {result.stderr.strip()[:500]}")


def _restore_uploads(directory: Path, upload_folder: Path) -> None:
    if upload_folder.exists() and any(upload_folder.iterdir()):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        upload_folder.rename(upload_folder.with_name(f"{upload_folder.name}.sebelum-{stamp}"))
    source = directory / UPLOADS
    if source.exists():
        shutil.copytree(source, upload_folder)
    else:
        upload_folder.mkdir(parents=True, exist_ok=True)


def restore_files(engine: Engine, upload_folder: Path, directory: Path, force: bool) -> dict:
    """Put the backup's database and uploads in place (checked first); returns its manifest.

    Refuses an instance that holds data unless force; its old uploads are then kept aside
    as ``uploads.sebelum-<time>``."""
    manifest = read_manifest(directory)
    if manifest["dialect"] != engine.dialect.name:
        raise BackupError(
            f"Cadangan ini dari {manifest['dialect']}; instance ini memakai {engine.dialect.name}."
        )
    problems = verify(directory)
    if problems:
        raise BackupError("Cadangan tidak utuh: " + "; ".join(problems[:5]))
    if not force and has_data(engine, upload_folder):
        raise BackupError(
            "Instance ini sudah berisi data. Pulihkan ke instance kosong, atau tambahkan "
            "--force untuk menimpanya."
        )
    database = directory / manifest["database_file"]
    if manifest["dialect"] == "sqlite":
        _restore_sqlite(engine, database)
    else:
        _restore_postgres(engine, database)
    _restore_uploads(directory, upload_folder)
    return manifest


def settle(session, manifest: dict, upload_folder: Path) -> Restored:
    """After the files are back: no job runs or holds a lock here, refresh extracts point to
    this upload folder, and every distribution event's chain and evidence are checked."""
    from nutera.distribution.chain import verify_event
    from nutera.models import DistributionEvent, Refresh
    from nutera.refresh import jobs

    restored = Restored(manifest)
    restored.failed_jobs = jobs.release_all(session)
    old = manifest.get("upload_folder") or ""
    if old and old != str(upload_folder.resolve()):
        session.execute(
            sa.update(Refresh)
            .where(Refresh.stored_path.startswith(old + "/"))
            .values(
                stored_path=sa.func.replace(Refresh.stored_path, old, str(upload_folder.resolve()))
            )
        )
    session.commit()
    for event in session.scalars(sa.select(DistributionEvent).order_by(DistributionEvent.id)):
        restored.verified_events += 1
        breaks = verify_event(event, str(upload_folder))
        if breaks:
            restored.broken_events.append(
                f"Acara {event.id}: " + "; ".join(b.message for b in breaks[:3])
            )
    return restored
