"""The KKs of one RT as a volunteer sees them: head's name, search, natural address order."""

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from nutera.extensions import db
from nutera.models import Household, Person, Rt, Survey, User
from nutera.pagination import Page
from nutera.scoping import scoped_select

PER_PAGE = 25
_CHUNKS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """Sort key putting 'No. 3' before 'No. 23' (digit runs compare as numbers)."""
    return tuple(
        int(chunk) if index % 2 else chunk.casefold()
        for index, chunk in enumerate(_CHUNKS.split(text or ""))
    )


def head_name_column(household_id) -> sa.ScalarSelect:
    """Name of the living head of a household (correlated on household_id)."""
    head = aliased(Person)
    return (
        sa.select(head.name)
        .where(
            head.household_id == household_id, head.relation == "kepala", head.status == "hidup"
        )
        .order_by(head.id)
        .limit(1)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class HouseholdRow:
    """A KK of the RT list."""

    id: int
    kk_number: str
    address: str
    head_name: str | None
    verified_at: object


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def rt_household_page(viewer: User, rt: Rt, query: str, page: int) -> Page:
    """KKs of one RT the viewer may see, searched by KK, address or member name."""
    stmt = (
        scoped_select(Household, viewer)
        .with_only_columns(Household.id, Household.address)
        .where(Household.rt_id == rt.id)
    )
    query = " ".join(query.split())
    if query.isdigit():
        stmt = stmt.where(Household.kk_number.contains(query, autoescape=True))
    elif query:
        pattern = f"%{_escape_like(query)}%"
        stmt = stmt.where(
            sa.or_(
                Household.address.ilike(pattern, escape="\\"),
                Household.id.in_(
                    sa.select(Person.household_id).where(
                        Person.kelurahan_id == rt.kelurahan_id,
                        Person.name.ilike(pattern, escape="\\"),
                    )
                ),
            )
        )
    # One RT holds a few hundred KKs at most: sort their addresses here, load one page.
    ordered = sorted(db.session.execute(stmt), key=lambda row: (natural_key(row[1]), row[0]))
    page = max(page, 1)
    ids = [row[0] for row in ordered[(page - 1) * PER_PAGE : page * PER_PAGE]]
    rows = {
        row[0]: HouseholdRow(*row)
        for row in db.session.execute(
            sa.select(
                Household.id,
                Household.kk_number,
                Household.address,
                head_name_column(Household.id),
                Household.verified_at,
            ).where(Household.id.in_(ids))
        )
    }
    return Page([rows[i] for i in ids], len(ordered), page, PER_PAGE)


def draft_head_name(survey: Survey) -> str | None:
    """The head of family typed into a draft, or recorded on a returned survey."""
    if survey.draft:
        values = dict((name, value) for name, value in survey.draft)
        for name, value in survey.draft:
            match = re.fullmatch(r"members-(\d+)-relation", name)
            if match and value == "kepala":
                return values.get(f"members-{match.group(1)}-name") or None
        return None
    return next((m.name for m in survey.members if m.relation == "kepala"), None)
