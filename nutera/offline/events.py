"""What a handover officer's phone keeps to capture handovers offline: their events' recipients.

Only what the officer may see, through the scoping helper: a volunteer's assigned events and,
in them, the recipients of their own RTs; staff the events of their kelurahan around today.
Each recipient as the handover desk lists them (masked NIK, day and month of birth), never a
full NIK; of the invitation token only its SHA-256, so a QR scanned without signal finds its
recipient while the device holds nothing that would print an invitation.
"""

import hashlib
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from nutera.distribution.search import all_recipients
from nutera.models import DistributionEvent, DistributionRecipient, User
from nutera.offline.area import AREA_MAX_AGE_DAYS
from nutera.scoping import scoped_select, visible_to

MAX_EVENTS = 10
# Staff see every event of their kelurahan: the device keeps those of the days around today.
STAFF_DAYS_BEFORE, STAFF_DAYS_AFTER = 3, 14


def officer_events(session: Session, officer: User, today: date) -> list[DistributionEvent]:
    """The events this officer hands out at (newest first), as the scoping helper allows."""
    stmt = (
        scoped_select(DistributionEvent, officer)
        .where(DistributionEvent.kelurahan_id == officer.kelurahan_id)
        .options(selectinload(DistributionEvent.program))
        .order_by(DistributionEvent.event_date.desc(), DistributionEvent.id.desc())
        .limit(MAX_EVENTS)
    )
    if not officer.is_volunteer:  # a volunteer's events are the ones assigned to them
        stmt = stmt.where(
            DistributionEvent.event_date.between(
                today - timedelta(days=STAFF_DAYS_BEFORE), today + timedelta(days=STAFF_DAYS_AFTER)
            )
        )
    return list(session.scalars(stmt))


def token_hashes(session: Session, officer: User, event_ids: list[int]) -> dict[int, str]:
    """SHA-256 of the invitation token of each recipient the officer may see (one query)."""
    rows = session.execute(
        sa.select(DistributionRecipient.id, DistributionRecipient.token).where(
            DistributionRecipient.event_id.in_(event_ids),
            visible_to(DistributionRecipient, officer),
        )
    )
    return {rid: hashlib.sha256(token.encode()).hexdigest() for rid, token in rows if token}


def events_for(session: Session, officer: User, today: date, now: datetime) -> dict:
    """The officer's events with the recipients they may see, for the device."""
    events = officer_events(session, officer, today)
    hashes = token_hashes(session, officer, [event.id for event in events])
    return {
        "user_id": officer.id,
        "fetched_at": int(now.timestamp() * 1000),
        "max_age_days": AREA_MAX_AGE_DAYS,
        "events": [
            {
                "id": event.id,
                "title": f"{event.program.code} {event.period}",
                "place": event.place,
                "goods": event.goods,
                "date": event.event_date.isoformat(),
                "recipients": [
                    {
                        "id": row.id,
                        "name": row.name,
                        # Not the day and month of birth the online desk shows beside it:
                        # with them, a masked NIK in a bulk copy gives its digits back.
                        "masked_nik": row.masked_nik or "",
                        "head": row.head_name or "",
                        "rt": row.rt_label,
                        "address": row.address or "",
                        "received": row.received_at is not None,
                        "token_sha256": hashes.get(row.id, ""),
                    }
                    for row in all_recipients(event, officer)
                ],
            }
            for event in events
        ],
    }
