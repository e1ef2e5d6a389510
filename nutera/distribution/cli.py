"""flask distribution ...: checks of the handover evidence."""

import click
from flask.cli import with_appcontext

from nutera.distribution.chain import verify_event
from nutera.extensions import db
from nutera.models import DistributionEvent


@click.group("distribution")
def distribution_cli() -> None:
    """Proof of distribution."""


@distribution_cli.command("verify")
@click.argument("event_id", type=int)
@with_appcontext
def verify_command(event_id: int) -> None:
    """Check an event's hash chain and evidence files; exit 1 on any break."""
    event = db.session.get(DistributionEvent, event_id)
    if event is None:
        raise click.ClickException(f"Acara {event_id} tidak ada.")
    breaks = verify_event(event)
    if not breaks:
        click.echo(
            f"Acara {event_id}: rantai utuh, {event.chain_length} serah terima, "
            f"semua berkas cocok. Hash terakhir {event.chain_head}."
        )
        return
    for problem in breaks:
        click.echo(problem.message)
    click.echo(f"Acara {event_id}: {len(breaks)} kerusakan ditemukan.", err=True)
    raise SystemExit(1)
