"""flask refresh ...: the weekly refresh for scheduled use (dry run unless --commit)."""

import shutil
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from nutera.audit import Actor, set_actor
from nutera.extensions import db
from nutera.models import ROW_STATUSES, Kelurahan, User
from nutera.refresh import export, jobs, reader, services
from nutera.refresh.states import JobKind, RefreshStateError
from nutera.sanding.kinds import SourceKindError

COUNT_LABELS = {
    "rows": "Baris dibaca",
    "rejected": "Baris ditolak",
    "persons_new": "Warga baru",
    "persons_changed": "Warga berubah",
    "households_new": "KK baru",
    "households_changed": "KK berubah",
    "absent": "Tidak ada di berkas (pindah? meninggal?)",
    "enrollments_added": "Kepesertaan program ditambah",
    "enrollments_ended": "Kepesertaan program diakhiri",
    "conflicts": "Konflik dengan survei",
    "duplicates": "Kemungkinan data ganda",
}


@click.group("refresh")
def refresh_cli() -> None:
    """Weekly data refresh with the kelurahan."""


def _kelurahan(code: str | None) -> Kelurahan:
    query = sa.select(Kelurahan)
    if code:
        query = query.where(Kelurahan.code == code)
    found = db.session.scalars(query.limit(2)).all()
    if len(found) != 1:
        raise click.ClickException(
            "Sebutkan kelurahan dengan --kelurahan KODE."
            if found
            else "Kelurahan tidak ditemukan."
        )
    return found[0]


def _actor(username: str | None) -> Actor:
    if not username:
        return Actor(None, "cli")
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"Pengguna {username} tidak ada.")
    return Actor(user.id, "cli")


class _Bar:
    """A click progress bar fed with fractions."""

    def __init__(self, label: str):
        self.bar = click.progressbar(length=100, label=label, file=sys.stderr)
        self.done = 0

    def __call__(self, fraction: float, message: str) -> None:
        target = int(fraction * 100)
        if target > self.done:
            self.bar.update(target - self.done)
            self.done = target

    def __enter__(self):
        self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        self.bar.__exit__(*exc)


@refresh_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", required=True, help='Sumber data, mis. "DTKS Kemensos".')
@click.option(
    "--commit", "do_commit", is_flag=True, help="Terapkan ke registri (bawaan: uji coba)."
)
@click.option("--kelurahan", "code", help="Kode kelurahan (wajib bila ada lebih dari satu).")
@click.option("--complete", is_flag=True, help="Berkas berisi seluruh warga kelurahan.")
@click.option("--user", "username", help="Dicatat sebagai pelaku di log audit.")
@click.option(
    "--kind",
    type=click.Choice(["penduduk", "penerima", "lama"]),
    help="Jenis sumber, dipilih sekali per sumber (bawaan sumber baru: penduduk).",
)
@with_appcontext
def import_command(
    file: str,
    source: str,
    do_commit: bool,
    code: str | None,
    complete: bool,
    username: str | None,
    kind: str | None,
) -> None:
    """Check FILE against the registry and print the counts; --commit writes it."""
    kelurahan = _kelurahan(code)
    actor = _actor(username)
    set_actor(db.session, None)  # audited once per refresh with audit_bulk
    try:
        with open(file, "rb") as handle:
            upload = services.start_upload(
                db.session,
                kelurahan.id,
                actor.user_id,
                source,
                handle,
                file,
                current_app.config["UPLOAD_FOLDER"],
                complete,
                kind,
            )
        if upload.same is not None:
            click.echo(
                f"Berkas identik dengan pemutakhiran #{upload.same.id}: tidak ada perubahan."
            )
            return
        refresh = upload.refresh
        services.confirm_mapping(db.session, refresh, refresh.mapping)
        job = services.request_analysis(db.session, refresh, actor.user_id, JobKind.CLI)
    except (reader.ReadError, RefreshStateError, SourceKindError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    # Like a web job: waits while another job works on this source, then records the outcome.
    failure = jobs.run(job, lambda: _analyse_and_commit(refresh, actor, do_commit))
    if failure is not None:
        raise click.ClickException(failure)


def _analyse_and_commit(refresh, actor: Actor, do_commit: bool) -> None:
    """The CLI job's work: analyse (one transaction), print the counts, apply if asked."""
    with _Bar("Memeriksa") as bar:
        counts = services.analyse(db.session, refresh, bar)
    db.session.commit()  # the preview stands even if applying it fails
    if "sanding" in counts:  # a recipient list: validated, never applied to the registry
        for status, count in counts["sanding"].items():
            click.echo(f"{ROW_STATUSES[status]:<42} {count:>10,}".replace(",", "."))
        click.echo(f"Daftar penerima #{refresh.id} divalidasi; registri tidak diubah.")
        return
    for key, label in COUNT_LABELS.items():
        click.echo(f"{label:<42} {counts[key]:>10,}".replace(",", "."))
    for item in counts.get("unknown_districts", []):
        click.echo(
            f"Kode kecamatan {item['code']} tidak ada di daftar Kemendagri: "
            f"{item['rows']} baris (tetap diterima; periksa NIK-nya)."
        )
    if counts.get("coverage_warning"):
        click.echo(counts["coverage_warning"])
    if counts["no_change"]:
        click.echo(counts.get("summary") or "Tidak ada perubahan.")
    if do_commit and not counts["no_change"]:
        with _Bar("Menerapkan") as bar:
            services.apply(db.session, refresh, actor, bar)
        db.session.commit()
        click.echo(f"Pemutakhiran #{refresh.id} diterapkan.")
    elif not do_commit:
        click.echo(f"Uji coba (pratinjau #{refresh.id}); tambahkan --commit untuk menerapkan.")


@refresh_cli.command("export")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--kelurahan", "code", help="Kode kelurahan (wajib bila ada lebih dari satu).")
@with_appcontext
def export_command(out: str, code: str | None) -> None:
    """Write the workbook for the kelurahan to OUT.xlsx."""
    kelurahan = _kelurahan(code)
    partial = Path(out).with_suffix(".partial.xlsx")
    with click.progressbar(length=0, label="Menulis", file=sys.stderr, show_pos=True) as bar:
        counts = export.export_workbook(
            db.session, kelurahan.id, str(partial), tick=lambda: bar.update(1000)
        )
    shutil.move(partial, out)
    for key, title in export.EXPORT_SHEETS.items():
        click.echo(f"{title:<32} {counts[key]:>8}")
