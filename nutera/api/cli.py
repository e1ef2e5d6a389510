"""flask api ...: register clients and run webhook deliveries from the command line."""

import time
from datetime import date

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from nutera.api import webhooks
from nutera.api.clients import ClientError, ClientInput, register_client
from nutera.extensions import db
from nutera.models import Kelurahan, User
from nutera.models.api import ApiClient, ApiScope

api_cli = AppGroup("api", help="Klien API dan webhook.")


@api_cli.command("create-client")
@click.option("--name", required=True)
@click.option("--scope", "scopes", multiple=True, type=click.Choice([s.value for s in ApiScope]))
@click.option("--kelurahan", "codes", multiple=True, help="Kode Kemendagri; boleh berulang.")
@click.option("--whole-city", is_flag=True, help="Semua kelurahan (Dinas Sosial).")
@click.option("--ip", "ips", multiple=True, help="Alamat atau CIDR yang diizinkan.")
@click.option("--expires", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--admin", "admin_username", required=True, help="Admin yang mendaftarkan.")
def create_client(name, scopes, codes, whole_city, ips, expires, admin_username):
    """Register a client and print its id and secret (shown once)."""
    admin = db.session.scalar(sa.select(User).where(User.username == admin_username))
    if admin is None or not admin.is_admin:
        raise click.ClickException("Admin tidak ditemukan.")
    ids = list(db.session.scalars(sa.select(Kelurahan.id).where(Kelurahan.code.in_(codes))))
    data = ClientInput(
        name, list(scopes), ids, whole_city, " ".join(ips), expires.date() if expires else None
    )
    try:
        client, secret = register_client(db.session, admin, data, date.today())
    except ClientError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"client_id={client.client_id}\nclient_secret={secret}")


@api_cli.command("subscribe")
@click.argument("client_id")
@click.argument("url")
@click.option("--kind", "kinds", multiple=True, required=True)
def subscribe(client_id, url, kinds):
    """Send a client's changes of these kinds to url; prints the signing secret once."""
    client = db.session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None:
        raise click.ClickException("Klien tidak ditemukan.")
    try:
        secret = webhooks.subscribe(db.session, client, url, list(kinds))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"webhook_secret={secret}")


@api_cli.command("webhooks")
@click.option("--once", is_flag=True, help="Satu putaran lalu berhenti (untuk cron).")
@click.option("--interval", default=5.0, show_default=True, help="Detik antar putaran.")
def run_webhooks(once, interval):
    """Queue new changes as deliveries and send what is due, in a loop."""
    while True:
        queued = webhooks.queue(db.session)
        db.session.commit()
        sent = webhooks.deliver_due(db.session)
        db.session.commit()
        if once:
            click.echo(f"antre {queued}, dicoba {sent}")
            return
        time.sleep(interval)
