"""The audit log: who changed what, when, from where."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nutera.extensions import db
from nutera.models.accounts import User
from nutera.models.base import utcnow


class AuditLog(db.Model):
    """One create, update or delete of one record by a signed-in user."""

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_entity", "entity", "entity_id"),
        sa.Index("ix_audit_log_kelurahan_at", "kelurahan_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    kelurahan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("kelurahan.id"))
    action: Mapped[str] = mapped_column(sa.String(10))
    entity: Mapped[str] = mapped_column(sa.String(50))
    entity_id: Mapped[int | None]
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    # Set when a machine client of the integration API made the call (reads are logged too).
    api_client_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("api_client.id", ondelete="SET NULL"), index=True
    )

    user: Mapped[User | None] = relationship()
