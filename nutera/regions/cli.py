"""flask regions ...: look up Kemendagri codes and add a kelurahan by its code."""

import click
from flask.cli import with_appcontext

from nutera.extensions import db
from nutera.regions import province_time_zone
from nutera.regions.services import KelurahanInput, RegionError, create_kelurahan, lookup
from nutera.timeutil import ZONE_NAMES


@click.group("regions")
def regions_cli() -> None:
    """Kemendagri region codes."""


@regions_cli.command("show")
@click.argument("code")
def show_command(code: str) -> None:
    """Print what the list says of a 10-digit kelurahan/desa CODE."""
    try:
        village = lookup(code)
    except RegionError as error:
        raise click.ClickException(str(error)) from None
    zone = province_time_zone(village.province_code)
    click.echo(
        f"{village.kind} {village.name}, Kec. {village.district}, {village.regency}, "
        f"{village.province} ({ZONE_NAMES[zone]})"
    )


@regions_cli.command("add-kelurahan")
@click.argument("code")
@click.option("--kode-pos", default="", help="Kode pos (5 digit).")
@click.option(
    "--zona",
    type=click.Choice(sorted(ZONE_NAMES.values())),
    help="Zona waktu bila berbeda dari provinsinya.",
)
@click.option("--rt-per-rw", default="", help="Jumlah RT tiap RW, mis. 5,5,4.")
@with_appcontext
def add_command(code: str, kode_pos: str, zona: str | None, rt_per_rw: str) -> None:
    """Add the kelurahan of CODE; its name, kecamatan and kota come from the list."""
    zones = {label: name for name, label in ZONE_NAMES.items()}
    try:
        kelurahan = create_kelurahan(
            db.session, KelurahanInput(code, kode_pos, zones.get(zona or "", ""), rt_per_rw)
        )
    except RegionError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(
        f"Kelurahan {kelurahan.name} ({kelurahan.code}), Kec. {kelurahan.kecamatan}, "
        f"{kelurahan.kota} ditambahkan; zona {ZONE_NAMES[kelurahan.time_zone_name]}."
    )
