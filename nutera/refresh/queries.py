"""What the refresh pages show besides the drill-down lists: history, overdue, sources."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import Refresh, User
from nutera.pagination import Page, paginate_rows
from nutera.refresh import diff, staging
from nutera.scoping import visible_to
from nutera.timeutil import as_utc, utcnow

OVERDUE_AFTER = timedelta(days=7)
HISTORY_PER_PAGE = 20


def refresh_page(session: Session, user: User, page: int) -> Page:
    """The refresh history the user may see, newest first."""
    query = sa.select(Refresh).where(visible_to(Refresh, user)).order_by(Refresh.created_at.desc())
    return paginate_rows(session, query, page, HISTORY_PER_PAGE, scalars=True)


def overdue(session: Session, kelurahan_id: int | None) -> tuple[bool, datetime | None]:
    """Whether the weekly refresh of this kelurahan is overdue, and when the last one was."""
    if kelurahan_id is None:
        return False, None
    last = diff.last_refresh_at(session, kelurahan_id)
    last = last and as_utc(last)
    now = utcnow()
    return last is None or now - last > OVERDUE_AFTER, last


def known_sources(session: Session, kelurahan_id: int) -> list[str]:
    """Sources with a remembered column mapping in this kelurahan (upload suggestions)."""
    return staging.known_sources(session, kelurahan_id)


def is_last_committed(session: Session, refresh: Refresh) -> bool:
    """Whether refresh is the kelurahan's last one still in force (the one a revert undoes)."""
    last = staging.last_committed(session, refresh.kelurahan_id)
    return last is not None and last.id == refresh.id
