"""One page of a multi-column SELECT (db.paginate pages ORM entities; this pages rows)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


@dataclass
class Page:
    """Rows of one page, with the names Flask-SQLAlchemy's Pagination uses."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(self, left_edge=2, left_current=2, right_current=4, right_edge=2):
        """Page numbers with None for the gaps, as Flask-SQLAlchemy gives them."""
        last = 0
        for number in range(1, self.pages + 1):
            if (
                number <= left_edge
                or self.page - left_current <= number <= self.page + right_current
                or number > self.pages - right_edge
            ):
                if last + 1 != number:
                    yield None
                yield number
                last = number


def paginate_rows(
    session: Session,
    stmt: sa.Select,
    page: int,
    per_page: int,
    convert: Callable[[Any], Any] | None = None,
    scalars: bool = False,
) -> Page:
    """The page-th page (from 1; lower numbers mean 1) of stmt's rows and their total count.

    convert, if given, turns each row into what the page holds (a dict, a dataclass)."""
    page = max(1, page)
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    window = stmt.limit(per_page).offset((page - 1) * per_page)
    rows = session.scalars(window).all() if scalars else session.execute(window).all()
    items = [convert(row) for row in rows] if convert else list(rows)
    return Page(items, total or 0, page, per_page)


def paginate_counted(
    session: Session, stmt: sa.Select, order: list[str], page: int, per_page: int
) -> Page:
    """Like paginate_rows, but the total comes with the page (COUNT(*) OVER ()): one run of
    an expensive statement instead of two; only a page past the end counts separately.
    order names stmt's columns to sort by. Each row keeps stmt's columns (and a last one,
    _total)."""
    page = max(1, page)
    inner = stmt.order_by(None).subquery("counted")
    window = (
        sa.select(inner, sa.func.count().over().label("_total"))
        .order_by(*[inner.c[name] for name in order])
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = session.execute(window).all()
    if rows:
        total = rows[0]._total
    elif page == 1:
        total = 0  # nothing at all: no second run to count it
    else:
        total = session.scalar(sa.select(sa.func.count()).select_from(inner))
    return Page(list(rows), total or 0, page, per_page)
