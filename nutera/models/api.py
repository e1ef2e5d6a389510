"""Machine clients of the integration API, their tokens, the change feed and webhooks."""

import hashlib
import hmac
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash

from nutera.extensions import db
from nutera.models.base import TimestampMixin, as_utc, utcnow
from nutera.models.region import Kelurahan


class ApiScope(StrEnum):
    """What a machine client may do; one scope per resource and action."""

    STATUS_READ = "status:read"
    PROGRAMS_READ = "programs:read"
    RECIPIENTS_READ = "recipients:read"
    REGISTRY_READ = "registry:read"
    DISTRIBUTION_READ = "distribution:read"
    COMPLAINTS_READ = "complaints:read"
    COMPLAINTS_WRITE = "complaints:write"
    STATISTICS_READ = "statistics:read"
    CHANGES_READ = "changes:read"


SCOPE_LABELS = {
    ApiScope.STATUS_READ: "Cek status bansos warga (seperti /cek)",
    ApiScope.PROGRAMS_READ: "Program dan kriteria yang diumumkan",
    ApiScope.RECIPIENTS_READ: "Daftar penerima per program (data pribadi)",
    ApiScope.REGISTRY_READ: "Registri KK dan warga (data pribadi)",
    ApiScope.DISTRIBUTION_READ: "Kegiatan penyaluran dan serah terima",
    ApiScope.COMPLAINTS_READ: "Status pengaduan per kode",
    ApiScope.COMPLAINTS_WRITE: "Mengirim pengaduan atas nama warga",
    ApiScope.STATISTICS_READ: "Statistik agregat",
    ApiScope.CHANGES_READ: "Umpan perubahan (tanpa data pribadi)",
}

api_client_kelurahan = sa.Table(
    "api_client_kelurahan",
    db.metadata,
    sa.Column("client_id", sa.ForeignKey("api_client.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kelurahan_id", sa.ForeignKey("kelurahan.id", ondelete="CASCADE"), primary_key=True),
)


def token_digest(token: str) -> str:
    """How a bearer token is stored: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiClient(TimestampMixin, db.Model):
    """A system allowed to call /api/v1 (a city super-app, the social office)."""

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(48), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(120))
    scopes: Mapped[str] = mapped_column(sa.String(400), default="")
    whole_city: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    ip_allowlist: Mapped[str] = mapped_column(sa.String(1000), default="", server_default="")
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    webhook_url: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    webhook_secret: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    webhook_kinds: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    # The feed position up to which this client's webhook deliveries have been queued.
    webhook_position: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), default=0, server_default="0"
    )

    kelurahan: Mapped[list[Kelurahan]] = relationship(
        secondary=api_client_kelurahan, order_by=Kelurahan.name
    )

    audit_exclude = frozenset({"secret_hash", "webhook_secret"})

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def kelurahan_ids(self) -> list[int] | None:
        """The kelurahan this client may see; None means every kelurahan (whole city)."""
        return None if self.whole_city else [k.id for k in self.kelurahan]

    @property
    def allowed_ips(self) -> list[str]:
        return [ip for ip in self.ip_allowlist.replace(",", " ").split() if ip]

    def is_usable(self, now: datetime | None = None) -> bool:
        """Not revoked and not past its expiry."""
        now = now or utcnow()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or as_utc(self.expires_at) > now

    # Authlib's ClientMixin, for the client-credentials grant.
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return " ".join(sorted(self.scope_set))
        return " ".join(s for s in scope.split() if s in self.scope_set)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return self.is_usable() and check_password_hash(self.secret_hash, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class ApiToken(db.Model):
    """A short-lived bearer token issued to a client (stored as a digest)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(
        sa.ForeignKey("api_client.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(400), default="")
    issued_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    client: Mapped[ApiClient] = relationship()

    # Authlib's TokenMixin.
    def check_client(self, client: Any) -> bool:
        return self.client_pk == client.id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int((as_utc(self.expires_at) - utcnow()).total_seconds()))

    def is_expired(self) -> bool:
        return as_utc(self.expires_at) <= utcnow()

    def is_revoked(self) -> bool:
        return self.revoked or not self.client.is_usable()

    def matches(self, token: str) -> bool:
        return hmac.compare_digest(self.token_hash, token_digest(token))


class ChangeKind(StrEnum):
    """What kind of record a change-feed entry points at."""

    PERSON = "person"
    HOUSEHOLD = "household"
    ENROLLMENT = "enrollment"
    HANDOVER = "handover"
    COMPLAINT = "complaint"


class ChangeEvent(db.Model):
    """The outbox: one row per changed record, written in the transaction of the change."""

    __tablename__ = "change_event"
    __table_args__ = (sa.Index("ix_change_event_position", "position", unique=True),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12))
    entity_id: Mapped[int]
    kelurahan_id: Mapped[int | None]
    op: Mapped[str] = mapped_column(sa.String(8))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # Assigned when the change is published, in the order changes became visible (commit
    # order); ids follow insert order, which concurrent transactions can commit out of.
    position: Mapped[int | None] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite")
    )


class WebhookDelivery(db.Model):
    """One delivery attempt of one change-feed entry to one client's webhook."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (sa.Index("ix_webhook_delivery_client_due", "client_pk", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(sa.ForeignKey("api_client.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(10), default="menunggu")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
