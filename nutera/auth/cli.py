"""flask users ...: account administration from the command line."""

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from nutera.auth.services import AccountError, create_user
from nutera.extensions import db
from nutera.models import ROLES, Kelurahan


@click.group("users")
def users_cli() -> None:
    """Manage accounts."""


@users_cli.command("create")
@click.option("--username", required=True, help="Login name.")
@click.option("--name", "full_name", required=True, help="Full name shown in the site.")
@click.option("--role", type=click.Choice([str(role) for role in ROLES]), required=True)
@click.option("--kelurahan", "kelurahan_code", help="Kelurahan code (staff and volunteers).")
@click.option("--kecamatan", "kecamatan_code", help="Kecamatan code, 6 digits (kecamatan role).")
@click.password_option(help="Password (at least 10 characters); prompted when omitted.")
@with_appcontext
def create_command(username, full_name, role, kelurahan_code, kecamatan_code, password) -> None:
    """Create an account."""
    kelurahan = None
    if kelurahan_code:
        kelurahan = db.session.scalar(sa.select(Kelurahan).where(Kelurahan.code == kelurahan_code))
        if kelurahan is None:
            raise click.ClickException(f"Kelurahan dengan kode {kelurahan_code} tidak ada.")
    try:
        user = create_user(
            db.session,
            username=username,
            full_name=full_name,
            password=password,
            role=role,
            kelurahan=kelurahan,
            kecamatan_code=(kecamatan_code or "").replace(".", "") or None,
        )
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Akun {user.username} ({ROLES[role]}) dibuat.")


@users_cli.command("remove-2fa")
@click.option("--username", required=True, help="Login name.")
@with_appcontext
def remove_two_factor_command(username) -> None:
    """Turn off a user's two-step sign-in (lost phone and recovery codes)."""
    from nutera import security
    from nutera.auth import twofactor
    from nutera.models import User

    user = db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"Pengguna {username} tidak ada.")
    twofactor.remove(db.session, user)
    security.record_for(
        user, security.Event.TOTP_REMOVED, details={"oleh": "cli"}, session=db.session
    )
    db.session.commit()
    click.echo(f"Verifikasi dua langkah {user.username} dihapus.")
