"""What phones send from their offline outbox: uploaded blobs and each item's first result."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nutera.extensions import db
from nutera.timeutil import utcnow


class OfflineBlob(db.Model):
    """A photo or signature a device uploaded by its SHA-256, before the record naming it."""

    __tablename__ = "offline_blob"
    __table_args__ = (sa.UniqueConstraint("user_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    path: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class OfflineSubmission(db.Model):
    """One outbox item accepted from a device, kept so a retry gets the first answer.

    A survey whose household changed on the server since the device copied it is accepted
    with conflict set and both versions kept for staff (device_copy, server_copy).
    """

    __tablename__ = "offline_submission"
    __table_args__ = (sa.UniqueConstraint("user_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    kelurahan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(10))  # survey | handover
    survey_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey.id", ondelete="SET NULL"), index=True
    )
    handover_id: Mapped[int | None] = mapped_column(sa.ForeignKey("handover.id"))
    result: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    conflict: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    device_version: Mapped[str | None] = mapped_column(sa.String(64))
    server_version: Mapped[str | None] = mapped_column(sa.String(64))
    device_copy: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    server_copy: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
