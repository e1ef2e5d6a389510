"""`flask city recount`: the overview's stored counts, as the queue does every 15 minutes."""

import click
from flask.cli import with_appcontext

from nutera.city import figures
from nutera.extensions import db
from nutera.timeutil import utcnow


@click.group("city")
def city_cli() -> None:
    """The city overview."""


@city_cli.command("recount")
@with_appcontext
def recount_command() -> None:
    """Count residents and recipients of every kelurahan again (after a bulk load)."""
    counted = figures.recount(db.session, utcnow())
    db.session.commit()
    click.echo(f"Angka {counted} kelurahan dihitung ulang.")
