"""Registering, rotating and revoking API clients: plain functions taking the acting user."""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from nutera.models import Kelurahan, User
from nutera.models.api import ApiClient, ApiScope, ApiToken
from nutera.timeutil import day_end_utc, utcnow


class ClientError(ValueError):
    """A client change that is not allowed; the message is Indonesian and says why."""


@dataclass(frozen=True)
class ClientInput:
    """What an admin or staff member typed to register a client."""

    name: str
    scopes: list[str]
    kelurahan_ids: list[int]
    whole_city: bool = False
    ip_allowlist: str = ""
    expires_on: date | None = None


def visible_clients(user: User) -> sa.Select:
    """Clients the user may manage: admins all, staff those of their kelurahan only."""
    stmt = sa.select(ApiClient).order_by(ApiClient.name)
    if user.is_admin:
        return stmt
    others = (
        sa.select(ApiClient.id).join(ApiClient.kelurahan).where(Kelurahan.id != user.kelurahan_id)
    )
    return stmt.where(
        ApiClient.whole_city.is_(False),
        ApiClient.kelurahan.any(Kelurahan.id == user.kelurahan_id),
        ApiClient.id.not_in(others),
    )


def _checked(session: Session, actor: User, data: ClientInput, today: date) -> list[Kelurahan]:
    unknown = set(data.scopes) - {s.value for s in ApiScope}
    if unknown or not data.scopes:
        raise ClientError("Pilih minimal satu cakupan (scope) yang dikenal.")
    if not actor.is_admin:
        if data.whole_city or set(data.kelurahan_ids) != {actor.kelurahan_id}:
            raise ClientError("Petugas hanya dapat mendaftarkan klien untuk kelurahannya sendiri.")
    if data.whole_city:
        return []
    kelurahan = list(
        session.scalars(sa.select(Kelurahan).where(Kelurahan.id.in_(data.kelurahan_ids)))
    )
    if not kelurahan:
        raise ClientError("Pilih kelurahan yang boleh dilihat klien ini, atau seluruh kota.")
    if data.expires_on is not None and data.expires_on <= today:
        raise ClientError("Tanggal kedaluwarsa harus di masa depan.")
    return kelurahan


def register_client(
    session: Session, actor: User, data: ClientInput, today: date
) -> tuple[ApiClient, str]:
    """Create a client; returns it with its secret, which is shown once and stored hashed."""
    kelurahan = _checked(session, actor, data, today)
    secret = secrets.token_urlsafe(32)
    client = ApiClient(
        client_id="ntr_" + secrets.token_hex(12),
        secret_hash=generate_password_hash(secret),
        name=data.name.strip(),
        scopes=" ".join(sorted(set(data.scopes))),
        whole_city=data.whole_city,
        ip_allowlist=" ".join(data.ip_allowlist.replace(",", " ").split()),
        expires_at=(
            day_end_utc(data.expires_on) - timedelta(seconds=1)  # 23.59.59 local
            if data.expires_on
            else None
        ),
        created_by_id=actor.id,
        kelurahan=kelurahan,
    )
    session.add(client)
    session.flush()
    return client, secret


def _end_tokens(session: Session, client: ApiClient) -> None:
    session.execute(
        sa.update(ApiToken).where(ApiToken.client_pk == client.id).values(revoked=True)
    )


def rotate_secret(session: Session, client: ApiClient) -> str:
    """A new secret for client (shown once); its tokens stop working at once."""
    if client.revoked_at is not None:
        raise ClientError("Klien yang sudah dicabut tidak dapat diberi rahasia baru.")
    secret = secrets.token_urlsafe(32)
    client.secret_hash = generate_password_hash(secret)
    _end_tokens(session, client)
    session.flush()
    return secret


def revoke_client(session: Session, client: ApiClient) -> None:
    """Stop client for good: no new tokens, and its tokens are refused at once."""
    client.revoked_at = client.revoked_at or utcnow()
    _end_tokens(session, client)
    session.flush()
