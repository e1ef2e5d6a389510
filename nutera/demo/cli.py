"""flask demo ...: the demo kelurahan."""

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from nutera.demo.services import database_is_empty, seed_demo
from nutera.extensions import db

ACCOUNTS_FILE = "demo-accounts.txt"


@click.group("demo")
def demo_cli() -> None:
    """The synthetic demo Kelurahan Tamansari."""


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has data.")
@with_appcontext
def seed_command(if_empty: bool) -> None:
    """Build the demo kelurahan and print the demo accounts."""
    accounts_file = Path(current_app.instance_path) / ACCOUNTS_FILE
    if not database_is_empty(db.session):
        if if_empty:
            if accounts_file.exists():
                click.echo(accounts_file.read_text())
            return
        raise click.ClickException(
            "Database sudah berisi data; demo hanya dibuat di database kosong."
        )
    started = time.perf_counter()
    accounts = seed_demo(db.session)
    db.session.commit()
    lines = [
        f"Demo Kelurahan Tamansari dibuat dalam {time.perf_counter() - started:.1f} detik.",
        "Akun demo (simpan; kata sandi dibuat acak):",
    ]
    lines += [f"  {a.username:<9} {a.password:<14} {a.note}" for a in accounts]
    text = "\n".join(lines)
    accounts_file.write_text(text + "\n")
    accounts_file.chmod(0o600)
    click.echo(text)
