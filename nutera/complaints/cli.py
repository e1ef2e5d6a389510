"""flask complaints ...: settings of the complaint box from the command line."""

import click
from flask.cli import with_appcontext

from nutera.audit import Actor, set_actor
from nutera.complaints import sla
from nutera.complaints.services import holidays_for, set_holidays
from nutera.extensions import db


@click.group("complaints")
def complaints_cli() -> None:
    """The complaint box."""


@complaints_cli.command("holidays")
@click.argument("days", nargs=-1)
@with_appcontext
def holidays_command(days: tuple[str, ...]) -> None:
    """Show, or replace with DAYS (YYYY-MM-DD ...), the holidays the SLA clock skips."""
    if days:
        parsed = sla.parse_holidays(" ".join(days))
        if len(parsed) != len(set(days)):
            raise click.ClickException("Tulis tanggal sebagai YYYY-MM-DD, contoh 2026-12-25.")
        set_actor(db.session, Actor(None))
        set_holidays(db.session, parsed)
        db.session.commit()
    current = sorted(holidays_for(db.session, kelurahan_id=0))
    click.echo("Hari libur: " + (", ".join(d.isoformat() for d in current) or "(belum ada)"))
