"""Backups that can be restored: the database as one consistent snapshot, plus the uploads.

A backup directory holds the database (``database.sqlite3`` from SQLite's online backup API,
or ``database.dump`` from ``pg_dump --format=custom``), ``uploads/`` and ``manifest.json``:
when it was made, the migration revision, the rows per table (counted in the same snapshot
as the dump) and the SHA-256 of every file. Evidence photos live outside the database, so a
restore without them would fail ``distribution verify``.
"""

import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nutera.storage import PENDING_SUFFIX

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
UPLOADS = "uploads"
FORMAT = 1
CHUNK = 1 << 20


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message is Indonesian."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def libpq_url(engine: Engine) -> str:
    """The engine's URL as pg_dump understands it (no +driver), password included."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def table_names(engine: Engine) -> list[str]:
    return sorted(sa.inspect(engine).get_table_names())


def _counts(conn, tables: list[str]) -> dict[str, int]:
    return {
        name: conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one()
        for name in tables
    }


def _revision(conn) -> str | None:
    try:
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DBAPIError:
        return None


def tool_path(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"Program {name} tidak ditemukan. Pasang postgresql-client.")
    return path


def _major(text: str) -> int:
    match = re.search(r"(\d+)", text)
    return int(match.group(1)) if match else 0


def check_pg_tools(engine: Engine) -> None:
    """pg_dump must be at least the server's major version."""
    tool = tool_path("pg_dump")
    version = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    client = _major(version.split("(PostgreSQL)")[-1])
    with engine.connect() as conn:
        server = int(conn.execute(sa.text("SHOW server_version_num")).scalar()) // 10000
    if client < server:
        raise BackupError(
            f"pg_dump versi {client} lebih lama daripada server PostgreSQL {server}; "
            f"pasang postgresql-client-{server}."
        )


# --- create ---------------------------------------------------------------------------------


def _snapshot_sqlite(engine: Engine, target: Path) -> tuple[dict, str | None]:
    source = engine.url.database
    if not source or source == ":memory:":
        raise BackupError("Basis data SQLite di memori tidak dapat dicadangkan.")
    with sqlite3.connect(source, timeout=60) as src, sqlite3.connect(target) as dest:
        src.backup(dest)  # one step: a consistent copy of what was committed
    copy = sa.create_engine(f"sqlite:///{target}")
    try:
        with copy.connect() as conn:
            return _counts(conn, table_names(copy)), _revision(conn)
    finally:
        copy.dispose()


def _snapshot_postgres(engine: Engine, target: Path) -> tuple[dict, str | None]:
    check_pg_tools(engine)
    tables = table_names(engine)
    # Count in the very snapshot pg_dump copies, so the manifest describes the dump.
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            counts = _counts(conn, tables)
            revision = _revision(conn)
            result = subprocess.run(
                [
                    tool_path("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    libpq_url(engine),
                ],
                capture_output=True,
                text=True,
            )
    if result.returncode != 0:
        raise BackupError(f"pg_dump gagal: {result.stderr.strip()[:500]}")
    return counts, revision


def _copy_uploads(upload_folder: Path, target: Path) -> dict[str, str]:
    """Copy the uploads; a file still under its temporary name goes under its final one."""
    files: dict[str, str] = {}
    if not upload_folder.exists():
        return files
    for path in sorted(p for p in upload_folder.rglob("*") if p.is_file()):
        relative = str(path.relative_to(upload_folder))
        if relative.endswith(PENDING_SUFFIX):
            relative = relative[: -len(PENDING_SUFFIX)]
            if (upload_folder / relative).exists():
                continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(path, destination)
        except FileNotFoundError:  # removed meanwhile (a discarded upload)
            continue
        files[f"{UPLOADS}/{relative}"] = sha256_of(destination)
    return files


def create(engine: Engine, upload_folder: Path, directory: Path) -> dict:
    """Write a backup into directory (new or empty); returns its manifest."""
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"Folder {directory} tidak kosong; pilih folder baru.")
    directory.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    dialect = engine.dialect.name
    if dialect == "sqlite":
        database_file = SQLITE_FILE
        counts, revision = _snapshot_sqlite(engine, directory / SQLITE_FILE)
    elif dialect == "postgresql":
        database_file = PG_FILE
        counts, revision = _snapshot_postgres(engine, directory / PG_FILE)
    else:
        raise BackupError(f"Basis data {dialect} tidak didukung.")
    # After the database: every record in the snapshot has its file by now.
    files = _copy_uploads(upload_folder, directory / UPLOADS)
    files[database_file] = sha256_of(directory / database_file)
    manifest = {
        "format": FORMAT,
        "created_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "dialect": dialect,
        "database_file": database_file,
        "migration_revision": revision,
        "upload_folder": str(upload_folder.resolve()),
        "counts": counts,
        "files": files,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


# --- verify ---------------------------------------------------------------------------------


def read_manifest(directory: Path) -> dict:
    path = directory / MANIFEST
    if not path.exists():
        raise BackupError(f"{path} tidak ada: ini bukan folder cadangan Nutera.")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError("Format cadangan tidak dikenal.")
    return manifest


def verify(directory: Path) -> list[str]:
    """Problems found in a backup without restoring it (empty: sound)."""
    manifest = read_manifest(directory)
    problems = []
    for relative, expected in sorted(manifest["files"].items()):
        path = directory / relative
        if not path.exists():
            problems.append(f"Berkas hilang: {relative}")
        elif sha256_of(path) != expected:
            problems.append(f"Isi berkas berubah (SHA-256 tidak cocok): {relative}")
    listed = set(manifest["files"])
    for path in (directory / UPLOADS).rglob("*") if (directory / UPLOADS).exists() else ():
        relative = str(path.relative_to(directory))
        if path.is_file() and relative not in listed:
            problems.append(f"Berkas tidak tercatat di manifest: {relative}")
    database = directory / manifest["database_file"]
    if database.exists() and not problems:
        problems.extend(_verify_database(manifest, database))
    return problems


def _verify_database(manifest: dict, database: Path) -> list[str]:
    if manifest["dialect"] == "sqlite":
        copy = sa.create_engine(f"sqlite:///{database}")
        try:
            with copy.connect() as conn:
                integrity = conn.execute(sa.text("PRAGMA integrity_check")).scalar()
                if integrity != "ok":
                    return [f"Basis data cadangan rusak: {integrity}"]
                counts = _counts(conn, table_names(copy))
        finally:
            copy.dispose()
        if counts != manifest["counts"]:
            return ["Jumlah baris di basis data cadangan tidak sama dengan manifest."]
        return []
    result = subprocess.run(
        [tool_path("pg_restore"), "--list", str(database)], capture_output=True, text=True
    )
    if result.returncode != 0:
        return [f"Berkas pg_dump tidak dapat dibaca: {result.stderr.strip()[:300]}"]
    return []
