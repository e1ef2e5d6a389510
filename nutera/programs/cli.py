"""`flask programs ...`: give the demo programs their pages and first rules."""

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from nutera.audit import Actor, set_actor
from nutera.extensions import db
from nutera.models import Kelurahan
from nutera.programs.services import install_defaults


@click.group("programs")
def programs_cli() -> None:
    """Aid program pages and eligibility rules."""


@programs_cli.command("defaults")
@click.argument("kelurahan_code")
@with_appcontext
def defaults(kelurahan_code: str) -> None:
    """Install pages, first rules and the UMR for PKH, BPNT, BST and ATM-BERAS."""
    kelurahan = db.session.scalar(sa.select(Kelurahan).where(Kelurahan.code == kelurahan_code))
    if kelurahan is None:
        raise click.ClickException(f"Kelurahan {kelurahan_code} tidak ada.")
    set_actor(db.session, Actor(None, "cli"))
    count = install_defaults(db.session, kelurahan)
    db.session.commit()
    click.echo(f"{count} program diberi halaman dan aturan awal.")
