"""Scoped reads for distribution: events, recipients, progress, report rows, last handovers."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import aliased, selectinload

from nutera.extensions import db
from nutera.models import (
    DistributionEvent,
    DistributionRecipient,
    Handover,
    Household,
    Kelurahan,
    Person,
    Rt,
    Rw,
    User,
)
from nutera.scoping import get_visible_or_404, scoped_select


def visible_events(user: User) -> sa.Select:
    """Events the user may open: staff their kelurahan; volunteers only events assigned to them."""
    return scoped_select(DistributionEvent, user)


def get_event_or_404(event_id: int, user: User) -> DistributionEvent:
    """The event if user may open it, else 404."""
    return get_visible_or_404(DistributionEvent, event_id, user)


def event_page(user: User, page: int):
    """Newest events first, one page."""
    stmt = (
        visible_events(user)
        .options(selectinload(DistributionEvent.program))
        .order_by(DistributionEvent.event_date.desc(), DistributionEvent.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=20, error_out=False)


def get_recipient_or_404(
    event: DistributionEvent, recipient_id: int, user: User
) -> DistributionRecipient:
    """A recipient of this event that user may see, else 404."""
    recipient = get_visible_or_404(DistributionRecipient, recipient_id, user)
    if recipient.event_id != event.id:
        abort(404)
    return recipient


def get_handover_or_404(handover_id: int, user: User) -> Handover:
    """A handover of an event the user may open, else 404."""
    return get_visible_or_404(Handover, handover_id, user)


@dataclass(frozen=True)
class Progress:
    """How many of an event's recipients have received."""

    received: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.received / self.total) if self.total else 0


def progress(event_id: int) -> Progress:
    """Received / total for an event, in one query."""
    received = (
        sa.select(sa.func.count(Handover.id))
        .where(Handover.event_id == event_id, Handover.corrects_id.is_(None))
        .scalar_subquery()
    )
    total, done = db.session.execute(
        sa.select(sa.func.count(DistributionRecipient.id), received).where(
            DistributionRecipient.event_id == event_id
        )
    ).one()
    return Progress(done, total)


def recipient_by_token(event_id: int, token: str, viewer: User) -> DistributionRecipient | None:
    """The event's recipient holding this invitation token, if the viewer may see them."""
    return db.session.scalar(
        scoped_select(DistributionRecipient, viewer).where(
            DistributionRecipient.event_id == event_id,
            DistributionRecipient.token == token.strip(),
        )
    )


def kelurahan_name(event: DistributionEvent) -> str:
    """Name of the event's kelurahan."""
    return db.session.scalar(sa.select(Kelurahan.name).where(Kelurahan.id == event.kelurahan_id))


def invitation_rows(event_id: int, recipient_id: int | None = None):
    """(name, RT/RW label, address, token) per recipient (or one), by RW, RT and name, streamed."""
    stmt = (
        sa.select(
            sa.func.coalesce(Person.name, Household.kk_number),
            Rw.number,
            Rt.number,
            Household.address,
            DistributionRecipient.token,
        )
        .select_from(DistributionRecipient)
        .outerjoin(Person, Person.id == DistributionRecipient.person_id)
        .outerjoin(Household, Household.id == DistributionRecipient.household_id)
        .outerjoin(Rt, Rt.id == Household.rt_id)
        .outerjoin(Rw, Rw.id == Rt.rw_id)
        .where(DistributionRecipient.event_id == event_id)
        .order_by(Rw.number, Rt.number, Person.name)
        .execution_options(yield_per=500)
    )
    if recipient_id is not None:
        stmt = stmt.where(DistributionRecipient.id == recipient_id)
    for name, rw, rt, address, token in db.session.execute(stmt):
        yield name, f"RT {rt:02d}/RW {rw:02d}" if rt is not None else "", address or "", token


@dataclass(frozen=True)
class ReportRow:
    """One line of the event report: the recipient and the latest record of its handover."""

    number: int
    name: str
    nik: str | None
    rt_label: str
    received_at: datetime | None
    officer: str | None
    proxy_name: str | None
    thumbprint: bool
    corrected: bool
    photo_thumb: str | None
    signature_thumb: str | None


def report_rows(event_id: int):
    """Every recipient with its latest handover record, streamed in name order."""
    ranked = (
        sa.select(
            Handover.recipient_id,
            Handover.officer_id,
            Handover.proxy_name,
            Handover.thumbprint,
            Handover.photo_thumb_path,
            Handover.signature_thumb_path,
            Handover.corrects_id,
            sa.func.row_number()
            .over(partition_by=Handover.recipient_id, order_by=Handover.seq.desc())
            .label("rank"),
        )
        .where(Handover.event_id == event_id)
        .subquery()
    )
    original = aliased(Handover)
    stmt = (
        sa.select(
            Person.name,
            Person.nik,
            Rw.number,
            Rt.number,
            original.received_at,
            User.full_name,
            ranked.c.proxy_name,
            ranked.c.thumbprint,
            ranked.c.corrects_id,
            ranked.c.photo_thumb_path,
            ranked.c.signature_thumb_path,
        )
        .select_from(DistributionRecipient)
        .outerjoin(Person, Person.id == DistributionRecipient.person_id)
        .outerjoin(Household, Household.id == DistributionRecipient.household_id)
        .outerjoin(Rt, Rt.id == Household.rt_id)
        .outerjoin(Rw, Rw.id == Rt.rw_id)
        .outerjoin(
            ranked, sa.and_(ranked.c.recipient_id == DistributionRecipient.id, ranked.c.rank == 1)
        )
        .outerjoin(
            original,
            sa.and_(
                original.recipient_id == DistributionRecipient.id, original.corrects_id.is_(None)
            ),
        )
        .outerjoin(User, User.id == ranked.c.officer_id)
        .where(DistributionRecipient.event_id == event_id)
        .order_by(Person.name, DistributionRecipient.id)
        .execution_options(yield_per=500)
    )
    for number, values in enumerate(db.session.execute(stmt), start=1):
        name, nik, rw, rt, received_at, officer, proxy, thumb, corrects, photo, signature = values
        yield ReportRow(
            number,
            name or "(tanpa nama)",
            nik,
            f"{rt:02d}/{rw:02d}" if rt is not None else "-",
            received_at,
            officer,
            proxy,
            bool(thumb),
            corrects is not None,
            photo,
            signature,
        )
