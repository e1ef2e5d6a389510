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


ROLES = Role.labels()

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
        sa.CheckConstraint("role IN ('admin', 'staff', 'volunteer')", name="role"),
        sa.CheckConstraint("role = 'admin' OR kelurahan_id IS NOT NULL", name="kelurahan"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(10))
    kelurahan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    kelurahan: Mapped[Kelurahan | None] = relationship()
    assigned_rts: Mapped[list[Rt]] = relationship(secondary=volunteer_rt, order_by=Rt.id)

    audit_exclude = frozenset({"password_hash", "last_login_at"})

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
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_staff(self) -> bool:
        return self.role == Role.STAFF

    @property
    def is_volunteer(self) -> bool:
        return self.role == Role.VOLUNTEER

    @property
    def role_label(self) -> str:
        return ROLES[self.role]
