"""State changes for volunteers: applications, their approval or decline, the pledge."""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.auth.services import assign_rts, create_user
from nutera.models import (
    ApplicationStatus,
    Kelurahan,
    Rw,
    User,
    VolunteerApplication,
    VolunteerPledge,
)
from nutera.timeutil import utcnow

# Bump when the guide or the pledge changes: every volunteer then accepts it again.
PLEDGE_VERSION = "2026-12"


class ApplicationError(ValueError):
    """An application action that cannot be carried out; the message is Indonesian."""


@dataclass(frozen=True)
class ApplicationInput:
    """What a student typed on the public page."""

    full_name: str
    campus: str
    phone: str
    preferred_rw_id: int | None
    availability: str


def apply(session: Session, kelurahan: Kelurahan, data: ApplicationInput) -> VolunteerApplication:
    """Record a new application to the kelurahan's staff."""
    rw_id = data.preferred_rw_id
    if rw_id is not None and (
        session.scalar(sa.select(Rw.kelurahan_id).where(Rw.id == rw_id)) != kelurahan.id
    ):
        rw_id = None  # an RW of another kelurahan: ignore the preference
    application = VolunteerApplication(
        kelurahan_id=kelurahan.id,
        full_name=" ".join(data.full_name.split())[:120],
        campus=" ".join(data.campus.split())[:120],
        phone=data.phone[:20],
        preferred_rw_id=rw_id,
        availability=data.availability.strip()[:300],
        status=ApplicationStatus.PENDING,
    )
    session.add(application)
    session.flush()
    return application


def _require_pending(application: VolunteerApplication) -> None:
    if application.status != ApplicationStatus.PENDING:
        raise ApplicationError(f"Lamaran ini sudah {application.status_label.lower()}.")


def suggested_username(session: Session, full_name: str) -> str:
    """A free username from the applicant's name, e.g. 'dewi.lestari' or 'dewi.lestari2'."""
    words = re.sub(r"[^a-z ]", "", full_name.lower()).split()
    base = ".".join(words[:2]) or "relawan"
    taken = set(session.scalars(sa.select(User.username).where(User.username.like(f"{base}%"))))
    if base not in taken:
        return base
    return next(f"{base}{n}" for n in range(2, 1000) if f"{base}{n}" not in taken)


def approve(
    session: Session,
    application: VolunteerApplication,
    staff: User,
    username: str,
    rt_ids: list[int],
) -> tuple[User, str]:
    """Create the volunteer's account with its RTs; returns it and its one-time password."""
    _require_pending(application)
    password = secrets.token_urlsafe(9)  # shown once to the staff member, never stored
    user = create_user(
        session,
        username=username,
        full_name=application.full_name,
        password=password,
        role="volunteer",
        kelurahan=application.kelurahan,
        # The password was read by a staff member; only the volunteer may know the next one.
        must_change_password=True,
    )
    assign_rts(session, user, rt_ids)
    application.status = ApplicationStatus.APPROVED
    application.user_id = user.id
    application.decided_at, application.decided_by_id = utcnow(), staff.id
    session.flush()
    return user, password


def decline(session: Session, application: VolunteerApplication, staff: User, reason: str) -> None:
    """Decline the application with the reason."""
    _require_pending(application)
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Alasan penolakan wajib diisi.")
    application.status = ApplicationStatus.DECLINED
    application.decline_reason = reason[:500]
    application.decided_at, application.decided_by_id = utcnow(), staff.id
    session.flush()


def pledged_at(session: Session, volunteer: User) -> datetime | None:
    """When the volunteer accepted the current pledge, or None."""
    return session.scalar(
        sa.select(VolunteerPledge.accepted_at).where(
            VolunteerPledge.user_id == volunteer.id, VolunteerPledge.version == PLEDGE_VERSION
        )
    )


def accept_pledge(session: Session, volunteer: User, now: datetime | None = None) -> None:
    """Record that the volunteer accepted the current pledge (once per version)."""
    if not volunteer.is_volunteer:
        raise ApplicationError("Janji kerahasiaan hanya untuk relawan.")
    if pledged_at(session, volunteer) is not None:
        return
    session.add(
        VolunteerPledge(
            user_id=volunteer.id,
            kelurahan_id=volunteer.kelurahan_id,
            version=PLEDGE_VERSION,
            accepted_at=now or utcnow(),
        )
    )
    session.flush()
