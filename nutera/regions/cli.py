"""flask regions ...: look up Kemendagri codes, add a kelurahan or a whole city, RWs and RTs."""

import click
from flask.cli import with_appcontext

from nutera.extensions import db
from nutera.regions import province_time_zone
from nutera.regions.city import add_city, apply_rt_sheet, read_sheet
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


@regions_cli.command("add-city")
@click.argument("code")
@with_appcontext
def add_city_command(code: str) -> None:
    """Add every kelurahan of the kota coded CODE (4 digits, e.g. 32.73) from the list."""
    try:
        result = add_city(db.session, code)
    except RegionError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(
        f"{result.regency.name}: {len(result.created)} kelurahan ditambahkan, "
        f"{len(result.existing)} sudah terdaftar"
        + (f", {result.skipped_desa} desa dilewati" if result.skipped_desa else "")
        + "."
    )


@regions_cli.command("rt-sheet")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def rt_sheet_command(file: str) -> None:
    """Add the RWs and RTs of FILE (CSV or XLSX: kode kelurahan, rw, jumlah rt)."""
    try:
        with open(file, "rb") as handle:
            result = apply_rt_sheet(db.session, read_sheet(handle.read(), file))
    except RegionError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    if result.errors:
        db.session.rollback()
        raise click.ClickException("Tidak ada yang disimpan:\n" + "\n".join(result.errors))
    db.session.commit()
    click.echo(
        f"{result.kelurahan} kelurahan: {result.rws_created} RW dan {result.rts_created} RT "
        "ditambahkan."
    )
