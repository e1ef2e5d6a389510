"""The change feed's outbox: one change_event row per changed record, in the same
transaction as the change, so a client following /api/v1/changes never misses one.

ORM changes are caught by an after_flush hook; bulk statements (the weekly refresh) call
record_bulk with a SELECT of the ids they touched, written set-based.
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from nutera.models.api import ChangeEvent, ChangeKind
from nutera.models.base import utcnow

_KIND_OF_TABLE = {
    "person": ChangeKind.PERSON,
    "household": ChangeKind.HOUSEHOLD,
    "enrollment": ChangeKind.ENROLLMENT,
    "handover": ChangeKind.HANDOVER,
    "complaint": ChangeKind.COMPLAINT,
}


def _rows(objects: Any, op: str) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "kind": _KIND_OF_TABLE[obj.__tablename__].value,
            "entity_id": obj.id,
            "kelurahan_id": getattr(obj, "kelurahan_id", None),
            "op": op,
            "at": now,
        }
        for obj in objects
        if getattr(obj, "__tablename__", None) in _KIND_OF_TABLE
    ]


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, flush_context: Any) -> None:
    rows = _rows(session.new, "create")
    rows += _rows((o for o in session.dirty if session.is_modified(o)), "update")
    rows += _rows(session.deleted, "delete")
    if rows:
        session.connection().execute(sa.insert(ChangeEvent.__table__), rows)


def record_bulk(session: Session, kind: ChangeKind, op: str, ids: sa.Select) -> None:
    """Record one change per record selected by ids (a SELECT of id, kelurahan_id)."""
    subquery = ids.subquery()
    columns = list(subquery.c)
    session.execute(
        sa.insert(ChangeEvent.__table__).from_select(
            ["kind", "entity_id", "kelurahan_id", "op", "at"],
            sa.select(
                sa.literal(kind.value),
                columns[0],
                columns[1],
                sa.literal(op),
                sa.literal(utcnow(), sa.DateTime(timezone=True)),
            ),
        )
    )


def publish(session: Session) -> None:
    """Give every committed, unpublished change the next positions, in id order.

    Run by one publisher at a time (a transaction lock on PostgreSQL; SQLite has one writer),
    so positions follow the order in which changes became visible and a reader that follows
    positions never skips a change committed late.
    """
    table = ChangeEvent.__table__
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(727001)"))
    pending = (
        sa.select(table.c.id, sa.func.row_number().over(order_by=table.c.id).label("rn"))
        .where(table.c.position.is_(None))
        .subquery()
    )
    base = sa.select(sa.func.coalesce(sa.func.max(table.c.position), 0)).scalar_subquery()
    session.execute(
        sa.update(table).where(table.c.id == pending.c.id).values(position=base + pending.c.rn)
    )
