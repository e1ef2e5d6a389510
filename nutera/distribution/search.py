"""The handover desk's lists: an event's recipients, found by anyone of their household.

A PKH recipient is often the wife while the head of the family comes to collect, so a
search matches the NIK or name of any member of the recipient household, the KK number or
the invitation code. Each hit carries just enough to tell people apart: the masked NIK with
its last four digits, the day and month of birth, the head's and the collector's names,
RT/RW and the address.
"""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from nutera.extensions import db
from nutera.identity import mask_nik
from nutera.models import (
    DistributionEvent,
    DistributionRecipient,
    Handover,
    Household,
    Person,
    Rt,
    Rw,
    User,
)
from nutera.scoping import visible_to

SEARCH_LIMIT = 20
PER_PAGE = 25
MIN_NAME_LENGTH = 3
STATUSES = ("sudah", "belum")
# The invitation prints the start of its token as a code to type when the QR cannot be read.
INVITATION_CODE_LENGTH = 8


def invitation_code(token: str) -> str:
    """The short code printed under an invitation's QR."""
    return token[:INVITATION_CODE_LENGTH]


@dataclass(frozen=True)
class RecipientRow:
    """A recipient as listed on the event and handover desk pages."""

    id: int
    name: str
    masked_nik: str | None
    birth_day: str | None  # "17/08": day and month only
    head_name: str | None
    rt_label: str
    address: str | None
    received_at: datetime | None
    officer: str | None
    handover_id: int | None


def _head_name() -> sa.ScalarSelect:
    """Name of the living head of the recipient's household (correlated)."""
    head = aliased(Person)
    return (
        sa.select(head.name)
        .where(
            head.household_id == DistributionRecipient.household_id,
            head.relation == "kepala",
            head.status == "hidup",
        )
        .order_by(head.id)
        .limit(1)
        .correlate(DistributionRecipient)
        .scalar_subquery()
    )


def _rows_stmt(event: DistributionEvent, viewer: User, status: str | None) -> sa.Select:
    """Recipients of an event the viewer may see, with their original handover."""
    original = aliased(Handover)
    stmt = (
        sa.select(
            DistributionRecipient.id,
            Person.name,
            Person.nik,
            Person.birth_date,
            _head_name(),
            Rw.number,
            Rt.number,
            Household.address,
            original.received_at,
            User.full_name,
            original.id,
        )
        .select_from(DistributionRecipient)
        .outerjoin(Person, Person.id == DistributionRecipient.person_id)
        .outerjoin(Household, Household.id == DistributionRecipient.household_id)
        .outerjoin(Rt, Rt.id == Household.rt_id)
        .outerjoin(Rw, Rw.id == Rt.rw_id)
        .outerjoin(
            original,
            sa.and_(
                original.recipient_id == DistributionRecipient.id, original.corrects_id.is_(None)
            ),
        )
        .outerjoin(User, User.id == original.officer_id)
        .where(
            DistributionRecipient.event_id == event.id,
            visible_to(DistributionRecipient, viewer),
        )
    )
    if status == "sudah":
        stmt = stmt.where(original.id.is_not(None))
    elif status == "belum":
        stmt = stmt.where(original.id.is_(None))
    return stmt


def _row(values) -> RecipientRow:
    """A result row as a RecipientRow with a masked NIK and day/month of birth."""
    rid, name, nik, birth, head, rw, rt, address, received_at, officer, handover_id = values
    return RecipientRow(
        rid,
        name or "(tanpa nama)",
        mask_nik(nik) if nik else None,
        _day_month(birth),
        head,
        f"RT {rt:02d}/RW {rw:02d}" if rt is not None else "-",
        address,
        received_at,
        officer,
        handover_id,
    )


def _day_month(value: date | None) -> str | None:
    return f"{value.day:02d}/{value.month:02d}" if value else None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(event: DistributionEvent, query: str) -> sa.ColumnElement[bool] | None:
    """Recipients matched by query, or None when the query is too short to search.

    Sixteen digits: the NIK of any member of the recipient household (or of the collector),
    or the KK number. Otherwise the invitation code, or at least three letters of the name
    of any member. Partial numbers never match: they would let anyone enumerate NIKs.
    """
    query = " ".join(query.split())
    digits = query.replace(" ", "")
    members = sa.select(Person.household_id, Person.id).where(
        Person.kelurahan_id == event.kelurahan_id
    )
    by_code = sa.func.substr(DistributionRecipient.token, 1, INVITATION_CODE_LENGTH) == query
    if digits.isdigit():
        if len(query) == INVITATION_CODE_LENGTH:
            return by_code
        if len(digits) != 16:
            return None
        matched = members.where(Person.nik == digits).subquery()
        return sa.or_(
            DistributionRecipient.household_id.in_(
                sa.select(matched.c.household_id).where(matched.c.household_id.is_not(None))
            ),
            DistributionRecipient.person_id.in_(sa.select(matched.c.id)),
            DistributionRecipient.household_id.in_(
                sa.select(Household.id).where(
                    Household.kk_number == digits, Household.kelurahan_id == event.kelurahan_id
                )
            ),
        )
    if len(query) < MIN_NAME_LENGTH:
        return None
    pattern = f"%{_escape_like(query)}%"
    matched = members.where(Person.name.ilike(pattern, escape="\\")).subquery()
    return sa.or_(
        DistributionRecipient.token == query,
        by_code,
        DistributionRecipient.household_id.in_(
            sa.select(matched.c.household_id).where(matched.c.household_id.is_not(None))
        ),
        DistributionRecipient.person_id.in_(sa.select(matched.c.id)),
    )


def recipient_page(
    event: DistributionEvent,
    viewer: User,
    page: int,
    status: str | None = None,
    query: str = "",
):
    """One page of an event's recipients, optionally searched and filtered (two queries)."""
    stmt = _rows_stmt(event, viewer, status)
    if query:
        condition = search_condition(event, query)
        stmt = stmt.where(condition if condition is not None else sa.false())
    stmt = stmt.order_by(Person.name, DistributionRecipient.id)
    result = db.paginate(
        stmt.with_only_columns(DistributionRecipient.id),
        page=page,
        per_page=PER_PAGE,
        error_out=False,
    )
    ids = list(result.items)
    rows = db.session.execute(stmt.where(DistributionRecipient.id.in_(ids))) if ids else []
    result.items = [_row(values) for values in rows]
    return result


def search_recipients(event: DistributionEvent, viewer: User, query: str) -> list[RecipientRow]:
    """The first recipients matched by query on the handover desk (none for a short query)."""
    condition = search_condition(event, query)
    if condition is None:
        return []
    stmt = _rows_stmt(event, viewer, None).where(condition)
    rows = db.session.execute(
        stmt.order_by(Person.name, DistributionRecipient.id).limit(SEARCH_LIMIT)
    )
    return [_row(values) for values in rows]


def all_recipients(event: DistributionEvent, viewer: User) -> list[RecipientRow]:
    """Every recipient of an event the viewer may see, by name (for the device's copy)."""
    stmt = _rows_stmt(event, viewer, None).order_by(Person.name, DistributionRecipient.id)
    return [_row(values) for values in db.session.execute(stmt)]
