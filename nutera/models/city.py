"""The city overview's heavy figures per kelurahan, counted ahead of time."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nutera.extensions import db


class KelurahanFigures(db.Model):
    """Living residents and active recipients per program of one kelurahan, as of counted_at.

    Counting 2.5 million residents takes the database a second; the overview reads these
    rows instead. They are recounted by the queue every 15 minutes and, for one kelurahan,
    in the same transaction as a refresh commit or revert of that kelurahan."""

    __tablename__ = "kelurahan_figures"

    kelurahan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("kelurahan.id", ondelete="CASCADE"), primary_key=True
    )
    residents: Mapped[int] = mapped_column(default=0)
    recipients: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)  # code -> count
    counted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
