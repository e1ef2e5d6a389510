"""Accounts, roles and volunteer assignments."""

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from nutera.extensions import db
from nutera.models.base import TimestampMixin
from nutera.models.labels import LabelledEnum
from nutera.models.region import Kelurahan, Rt


class Role(LabelledEnum):
    ADMIN = "admin", "Admin"
    STAFF = "staff", "Petugas kelurahan"
    VOLUNTEER = "volunteer", "Relawan"
    DINAS = "dinas", "Dinas Sosial (seluruh kota, hanya baca)"
    KECAMATAN = "kecamatan", "Kecamatan (hanya baca)"


ROLES = Role.labels()
# Roles that read across kelurahan and never change a record.
READ_ONLY_ROLES = (Role.DINAS, Role.KECAMATAN)
# Roles without a kelurahan of their own.
CITY_ROLES = (Role.ADMIN, Role.DINAS, Role.KECAMATAN)

volunteer_rt = sa.Table(
    "volunteer_rt",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("rt_id", sa.ForeignKey("rt.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, TimestampMixin, db.Model):
    """A person who signs in: admin, staff (petugas) or volunteer (relawan)."""

    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'staff', 'volunteer', 'dinas', 'kecamatan')", name="role"
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'dinas', 'kecamatan') OR kelurahan_id IS NOT NULL",
            name="kelurahan",
        ),
        sa.CheckConstraint(
            "(role = 'kecamatan') = (kecamatan_code IS NOT NULL)", name="kecamatan"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(10))
    kelurahan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    # A kecamatan account's Kemendagri district code (6 digits, e.g. "327302").
    kecamatan_code: Mapped[str | None] = mapped_column(sa.String(6))
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Bumped to end every open session of the user (sign-out, deactivation, password reset):
    # a session remembers the generation it was opened in and is refused once it differs.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    totp_last_step: Mapped[int | None]  # the last 30-second step used: a code works once

    kelurahan: Mapped[Kelurahan | None] = relationship()
    assigned_rts: Mapped[list[Rt]] = relationship(secondary=volunteer_rt, order_by=Rt.id)

    audit_exclude = frozenset(
        {"password_hash", "last_login_at", "session_generation", "totp_secret", "totp_last_step"}
    )

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Whether the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def has_2fa(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_staff(self) -> bool:
        return self.role == Role.STAFF

    @property
    def is_volunteer(self) -> bool:
        return self.role == Role.VOLUNTEER

    @property
    def is_dinas(self) -> bool:
        return self.role == Role.DINAS

    @property
    def is_kecamatan(self) -> bool:
        return self.role == Role.KECAMATAN

    @property
    def kecamatan_name(self) -> str:
        """'Bandung Wetan' for a kecamatan account (from the Kemendagri list), else ''."""
        from nutera.regions import district_name

        return (
            (district_name(self.kecamatan_code) or self.kecamatan_code)
            if self.kecamatan_code
            else ""
        )

    @property
    def is_read_only(self) -> bool:
        """Dinas and kecamatan accounts read; they never change a record."""
        return self.role in READ_ONLY_ROLES

    @property
    def role_label(self) -> str:
        return ROLES[self.role]


class RecoveryCode(db.Model):
    """A one-time code that replaces the authenticator once; only its hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(255))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    audit_exclude = frozenset({"code_hash"})


class ServerValue(db.Model):
    """A short-lived value kept on the server (captcha challenges, sign-in failures) when
    the deployment has no Redis."""

    __tablename__ = "server_value"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
