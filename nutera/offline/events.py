"""What a handover officer's phone keeps to capture handovers offline: their events' recipients.

Only what the officer may see, through the scoping helper: a volunteer's assigned events and,
in them, the recipients of their own RTs; staff the events of their kelurahan around today.
Each recipient as the handover desk lists them (masked NIK, day and month of birth), never a
full NIK or the invitation token.
"""

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session, selectinload

from nutera.distribution.search import all_recipients
from nutera.models import DistributionEvent, User
from nutera.offline.area import AREA_MAX_AGE_DAYS
from nutera.scoping import scoped_select

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


def events_for(session: Session, officer: User, today: date, now: datetime) -> dict:
    """The officer's events with the recipients they may see, for the device."""
    events = officer_events(session, officer, today)
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
                        "masked_nik": row.masked_nik or "",
                        "birth_day": row.birth_day or "",
                        "head": row.head_name or "",
                        "rt": row.rt_label,
                        "address": row.address or "",
                        "received": row.received_at is not None,
                    }
                    for row in all_recipients(event, officer)
                ],
            }
            for event in events
        ],
    }
