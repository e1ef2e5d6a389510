"""Distribution events, their recipients and the handovers recorded with evidence."""

from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nutera.extensions import db
from nutera.models.accounts import User
from nutera.models.base import TimestampMixin
from nutera.models.people import Household, Person
from nutera.models.programs import AidProgram, Enrollment
from nutera.models.region import Kelurahan
from nutera.timeutil import utcnow

PROXY_RELATIONS = {
    "suami": "Suami",
    "istri": "Istri",
    "anak": "Anak",
    "orang_tua": "Orang tua",
    "saudara": "Saudara",
    "tetangga": "Tetangga/ketua RT",
    "lainnya": "Lainnya",
}
GENESIS_HASH = "0" * 64

event_volunteer = sa.Table(
    "distribution_event_volunteer",
    db.metadata,
    sa.Column(
        "event_id", sa.ForeignKey("distribution_event.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("user_id", sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)


class DistributionEvent(TimestampMixin, db.Model):
    """One handing-out of a program's aid (a tahap) at a date and place."""

    __tablename__ = "distribution_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("aid_program.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(60))  # tahap, e.g. "Tahap 4 2026"
    event_date: Mapped[date]
    place: Mapped[str] = mapped_column(sa.String(200))
    # Hours recipients are invited for (printed on the invitations); None: not set.
    time_start: Mapped[time | None] = mapped_column(sa.Time)
    time_end: Mapped[time | None] = mapped_column(sa.Time)
    goods: Mapped[str] = mapped_column(sa.String(200))  # what each recipient receives
    amount: Mapped[int | None]  # rupiah per recipient, when cash
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # Head of the handover hash chain; moved under a row lock by every handover.
    chain_length: Mapped[int] = mapped_column(default=0, server_default="0")
    chain_head: Mapped[str] = mapped_column(
        sa.String(64), default=GENESIS_HASH, server_default=GENESIS_HASH
    )

    kelurahan: Mapped[Kelurahan] = relationship()  # its time zone for receipts
    program: Mapped[AidProgram] = relationship()
    volunteers: Mapped[list[User]] = relationship(
        secondary=event_volunteer, order_by=User.full_name
    )

    audit_exclude = frozenset({"chain_length", "chain_head"})


class DistributionRecipient(db.Model):
    """An enrollment invited to an event, with the unguessable token of its invitation."""

    __tablename__ = "distribution_recipient"
    __table_args__ = (sa.UniqueConstraint("event_id", "enrollment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("distribution_event.id"), index=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollment.id"), index=True)
    # Who is expected to collect: the enrollment's collector, the person, or the KK head.
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household.id"))
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)

    enrollment: Mapped[Enrollment] = relationship()
    person: Mapped[Person | None] = relationship()
    household: Mapped[Household | None] = relationship()


class Handover(db.Model):
    """A recorded handover (or a correction of one); rows are appended, never edited."""

    __tablename__ = "handover"
    __table_args__ = (
        # Exactly once: one original handover per recipient per event.
        sa.Index(
            "ux_handover_event_recipient_original",
            "event_id",
            "recipient_id",
            unique=True,
            sqlite_where=sa.text("corrects_id IS NULL"),
            postgresql_where=sa.text("corrects_id IS NULL"),
        ),
        sa.UniqueConstraint("event_id", "seq"),
        sa.CheckConstraint("signature_sha256 IS NOT NULL OR thumbprint", name="signed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("distribution_event.id"))
    recipient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("distribution_recipient.id"), index=True
    )
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    officer_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    corrects_id: Mapped[int | None] = mapped_column(sa.ForeignKey("handover.id"))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    thumbprint: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    proxy_name: Mapped[str | None] = mapped_column(sa.String(120))
    proxy_nik: Mapped[str | None] = mapped_column(sa.String(16))
    proxy_relation: Mapped[str | None] = mapped_column(sa.String(20))
    latitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    gps_accuracy_m: Mapped[int | None]
    photo_path: Mapped[str] = mapped_column(sa.String(255))
    photo_sha256: Mapped[str] = mapped_column(sa.String(64))
    signature_path: Mapped[str | None] = mapped_column(sa.String(255))
    signature_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    # Small JPEGs derived from the evidence, for the PDFs (not part of the chain).
    photo_thumb_path: Mapped[str] = mapped_column(sa.String(255))
    signature_thumb_path: Mapped[str | None] = mapped_column(sa.String(255))
    seq: Mapped[int]  # position in the event's hash chain, from 1
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    recipient: Mapped[DistributionRecipient] = relationship()
    officer: Mapped[User] = relationship()
