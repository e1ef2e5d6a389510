"""`flask equity ...`: the nightly snapshot and the monthly report, for cron and jobs."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from nutera.equity import report, snapshots
from nutera.extensions import db
from nutera.models import Kelurahan
from nutera.timeutil import utcnow


@click.group("equity")
def equity_cli() -> None:
    """Tingkat Pemerataan Bantuan: snapshots and reports."""


def _kelurahan(code: str) -> Kelurahan:
    kelurahan = db.session.scalar(sa.select(Kelurahan).where(Kelurahan.code == code))
    if kelurahan is None:
        raise click.ClickException(f"Kelurahan {code} tidak ada.")
    return kelurahan


@equity_cli.command("snapshot")
@click.option("--kelurahan", "code", help="Kode kelurahan; tanpa ini semua kelurahan.")
@with_appcontext
def snapshot(code: str | None) -> None:
    """Store today's indicators (run nightly from cron)."""
    if code:
        snapshots.take_snapshot(db.session, _kelurahan(code).id, "harian")
        count = 1
    else:
        count = snapshots.snapshot_all(db.session, "harian")
    db.session.commit()
    click.echo(f"Potret indikator disimpan untuk {count} kelurahan.")


@equity_cli.command("report")
@click.option("--kelurahan", "code", required=True, help="Kode kelurahan.")
@click.option("--month", "month_text", default="", help="Bulan YYYY-MM (bawaan: bulan ini).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def monthly(code: str, month_text: str, out: Path) -> None:
    """Write the lurah's monthly PDF report."""
    now = utcnow()
    kelurahan = _kelurahan(code)
    month = report.parse_month(month_text, now, kelurahan)
    if month is None:
        raise click.ClickException("Bulan harus berbentuk YYYY-MM, misalnya 2026-11.")
    out.write_bytes(report.monthly_report(db.session, kelurahan, month, now))
    click.echo(f"Laporan {month:%Y-%m} ditulis ke {out}.")
