"""Scoped reads for the volunteer pages: applications, RW/RT choices, volunteers' activity."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from nutera.extensions import db
from nutera.models import (
    ApplicationStatus,
    Rt,
    Rw,
    Survey,
    SurveyStatusEvent,
    User,
    VolunteerApplication,
    VolunteerPledge,
)
from nutera.scoping import get_visible_or_404, scoped_select
from nutera.volunteers.services import PLEDGE_VERSION


def application_page(viewer: User, status: str | None, page: int):
    """Applications the viewer reviews, waiting ones first, newest first."""
    stmt = scoped_select(VolunteerApplication, viewer).options(
        selectinload(VolunteerApplication.preferred_rw),
        selectinload(VolunteerApplication.kelurahan),
    )
    if status:
        stmt = stmt.where(VolunteerApplication.status == status)
    stmt = stmt.order_by(
        VolunteerApplication.status != ApplicationStatus.PENDING,
        VolunteerApplication.created_at.desc(),
        VolunteerApplication.id.desc(),
    )
    return db.paginate(stmt, page=page, per_page=25, error_out=False)


def get_application_or_404(viewer: User, application_id: int) -> VolunteerApplication:
    return get_visible_or_404(VolunteerApplication, application_id, viewer)


def rw_choices(kelurahan_id: int) -> list[tuple[int, str]]:
    """RWs of a kelurahan, for the public form (public information)."""
    rows = db.session.execute(
        sa.select(Rw.id, Rw.number).where(Rw.kelurahan_id == kelurahan_id).order_by(Rw.number)
    )
    return [(rw_id, f"RW {number:02d}") for rw_id, number in rows]


@dataclass(frozen=True)
class RwGroup:
    """The RTs of one RW, for checkbox groups."""

    rw_id: int
    label: str
    rts: list[tuple[int, str]]


def rt_groups(kelurahan_id: int) -> list[RwGroup]:
    """Every RT of a kelurahan grouped by RW."""
    rows = db.session.execute(
        sa.select(Rw.id, Rw.number, Rt.id, Rt.number)
        .join(Rt, Rt.rw_id == Rw.id)
        .where(Rw.kelurahan_id == kelurahan_id)
        .order_by(Rw.number, Rt.number)
    )
    groups: dict[int, RwGroup] = {}
    for rw_id, rw, rt_id, rt in rows:
        group = groups.setdefault(rw_id, RwGroup(rw_id, f"RW {rw:02d}", []))
        group.rts.append((rt_id, f"RT {rt:02d}/RW {rw:02d}"))
    return list(groups.values())


@dataclass(frozen=True)
class Activity:
    """What one volunteer has done, to coach them."""

    user: User
    submitted: int
    returned: int
    verified: int
    rejected: int
    drafts: int
    pledged_at: datetime | None

    @property
    def returned_share(self) -> int:
        """Returned surveys as a percentage of submissions."""
        return round(100 * self.returned / self.submitted) if self.submitted else 0


def volunteer_activity(viewer: User) -> list[Activity]:
    """Each volunteer in scope with counts of submissions and decisions (four queries)."""
    volunteers = list(
        db.session.scalars(
            scoped_select(User, viewer)
            .where(User.role == "volunteer")
            .options(selectinload(User.assigned_rts).selectinload(Rt.rw))
            .order_by(User.full_name)
        )
    )
    ids = [v.id for v in volunteers]
    by_status: dict[tuple[int, str], int] = {}
    for volunteer_id, status, count in db.session.execute(
        sa.select(Survey.volunteer_id, Survey.status, sa.func.count())
        .where(Survey.volunteer_id.in_(ids))
        .group_by(Survey.volunteer_id, Survey.status)
    ):
        by_status[volunteer_id, status] = count
    # Returned at least once, whether since corrected or not.
    ever_returned = sa.select(SurveyStatusEvent.survey_id).where(
        SurveyStatusEvent.status == "returned"
    )
    returned = dict(
        db.session.execute(
            sa.select(Survey.volunteer_id, sa.func.count())
            .where(
                Survey.volunteer_id.in_(ids),
                sa.or_(Survey.status == "returned", Survey.id.in_(ever_returned)),
            )
            .group_by(Survey.volunteer_id)
        ).all()
    )
    pledges = dict(
        db.session.execute(
            sa.select(VolunteerPledge.user_id, VolunteerPledge.accepted_at).where(
                VolunteerPledge.user_id.in_(ids), VolunteerPledge.version == PLEDGE_VERSION
            )
        ).all()
    )
    return [
        Activity(
            v,
            sum(n for (vid, status), n in by_status.items() if vid == v.id and status != "draft"),
            returned.get(v.id, 0),
            by_status.get((v.id, "verified"), 0),
            by_status.get((v.id, "rejected"), 0),
            by_status.get((v.id, "draft"), 0),
            pledges.get(v.id),
        )
        for v in volunteers
    ]
