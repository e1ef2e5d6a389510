"""What residents read about each aid program, and its eligibility rules, versioned."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nutera.extensions import db
from nutera.models.accounts import User
from nutera.models.base import TimestampMixin
from nutera.models.programs import AidProgram
from nutera.timeutil import utcnow


class ProgramInfo(TimestampMixin, db.Model):
    """The public page of one program; the rich fields hold HTML sanitised on save."""

    __tablename__ = "program_info"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("aid_program.id"), unique=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    benefit: Mapped[str] = mapped_column(sa.Text, default="")
    audience: Mapped[str] = mapped_column(sa.Text, default="")
    criteria_html: Mapped[str] = mapped_column(sa.Text, default="")
    documents_html: Mapped[str] = mapped_column(sa.Text, default="")
    schedule: Mapped[str] = mapped_column(sa.Text, default="")
    contact: Mapped[str] = mapped_column(sa.Text, default="")

    program: Mapped[AidProgram] = relationship()


class ProgramRule(db.Model):
    """One version of a program's eligibility rule tree; every edit adds a version."""

    __tablename__ = "program_rule"
    __table_args__ = (sa.UniqueConstraint("program_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("aid_program.id"))
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    version: Mapped[int]
    tree: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    note: Mapped[str] = mapped_column(sa.String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    program: Mapped[AidProgram] = relationship()
    created_by: Mapped[User | None] = relationship()
