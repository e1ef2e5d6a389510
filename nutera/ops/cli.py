"""flask storage ... and flask backup ...: the operator's commands."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from nutera.extensions import db
from nutera.ops import backup, restore, storage_check


def _upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


@click.group("storage")
def storage_cli() -> None:
    """The upload folder."""


@storage_cli.command("check")
@click.option("--delete", is_flag=True, help="Remove files no record names.")
@with_appcontext
def check_command(delete: bool) -> None:
    """List files no record names, and records whose file is missing."""
    root = _upload_folder()
    report = storage_check.check(db.session, root)
    for relative in report.orphans:
        click.echo(f"tanpa catatan: {relative}")
    for relative in report.unfinished:
        click.echo(f"belum dipindahkan ke nama akhir: {relative}")
    for relative in report.missing:
        click.echo(f"berkas hilang: {relative}")
    click.echo(
        f"{report.files} berkas diperiksa: {len(report.orphans)} tanpa catatan, "
        f"{len(report.unfinished)} belum selesai, {len(report.missing)} hilang."
    )
    if delete and (report.orphans or report.unfinished):
        storage_check.repair(root, report)
        click.echo(
            f"{len(report.orphans)} berkas tanpa catatan dihapus, "
            f"{len(report.unfinished)} berkas dipindahkan ke nama akhirnya."
        )
    if report.missing:
        raise SystemExit(1)


@click.group("backup")
def backup_cli() -> None:
    """Backups of the database and the uploads."""


def _fail(error: backup.BackupError):
    raise click.ClickException(str(error)) from None


@backup_cli.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def create_command(directory: Path) -> None:
    """Write a consistent backup into DIRECTORY (new or empty)."""
    try:
        manifest = backup.create(db.engine, _upload_folder(), directory)
    except backup.BackupError as error:
        _fail(error)
    rows = sum(manifest["counts"].values())
    click.echo(
        f"Cadangan dibuat di {directory}: revisi {manifest['migration_revision']}, "
        f"{rows} baris, {len(manifest['files'])} berkas."
    )


@backup_cli.command("verify")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@with_appcontext
def verify_command(directory: Path) -> None:
    """Check a backup's files against its manifest without restoring it."""
    try:
        problems = backup.verify(directory)
    except backup.BackupError as error:
        _fail(error)
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"Cadangan {directory}: {len(problems)} masalah.", err=True)
        raise SystemExit(1)
    click.echo(f"Cadangan {directory} utuh.")


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an instance that already holds data.")
@with_appcontext
def restore_command(directory: Path, force: bool) -> None:
    """Restore a backup into this instance (empty unless --force), then check it."""
    folder = _upload_folder()
    db.session.remove()
    try:
        manifest = restore.restore_files(db.engine, folder, directory, force)
    except backup.BackupError as error:
        _fail(error)
    restored = restore.settle(db.session, manifest, folder)
    click.echo(
        f"Dipulihkan dari cadangan {manifest['created_at']} (revisi "
        f"{manifest['migration_revision']}); {restored.failed_jobs} proses yang sedang berjalan "
        "saat pencadangan ditandai gagal dan kuncinya dilepas."
    )
    for problem in restored.broken_events:
        click.echo(problem)
    click.echo(
        f"distribution verify: {restored.verified_events} acara diperiksa, "
        f"{len(restored.broken_events)} rusak."
    )
    click.echo("Jalankan `flask --app nutera db upgrade` bila versi aplikasi lebih baru.")
    if restored.broken_events:
        raise SystemExit(1)
