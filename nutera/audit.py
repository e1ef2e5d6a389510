"""Record every ORM create, update and delete made on behalf of a signed-in user.

An ``after_flush`` hook writes one AuditLog row per changed record, in the same
transaction as the change. The actor is whoever ``set_actor`` put on the session (CLI
commands, background jobs, public forms), else the signed-in user of the current request;
it is looked up only when something is flushed, so read-only pages pay nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from nutera.models.audit import AuditLog
from nutera.timeutil import utcnow

_ACTOR_KEY = "audit_actor"
_SKIPPED_COLUMNS = {"created_at", "updated_at"}


@dataclass(frozen=True)
class Actor:
    """Who is making the changes in this session."""

    user_id: int | None
    ip: str | None = None


_NOT_RECORDED = "not-recorded"


def set_actor(session: Session, actor: Actor | None) -> None:
    """Attribute the session's following changes to actor (None stops recording)."""
    session.info[_ACTOR_KEY] = _NOT_RECORDED if actor is None else actor


def _current_actor(session: Session) -> Actor | None:
    """The actor set on the session, else the signed-in user of the request, else None."""
    actor = session.info.get(_ACTOR_KEY)
    if actor is not None:
        return None if actor == _NOT_RECORDED else actor
    if not has_request_context():
        return None
    from flask_login import current_user

    if not current_user.is_authenticated:
        return None
    return Actor(current_user.id, request.remote_addr)


def current_actor(session: Session) -> Actor | None:
    """Who the session's changes and logged reads are attributed to, if anyone."""
    return _current_actor(session)


def _jsonable(value: Any) -> Any:
    """Turn a column value into something JSON can hold."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _columns(obj: Any) -> list[str]:
    excluded = getattr(obj, "audit_exclude", frozenset()) | _SKIPPED_COLUMNS
    return [c.key for c in inspect(obj).mapper.column_attrs if c.key not in excluded]


def _snapshot(obj: Any) -> dict[str, Any]:
    return {key: _jsonable(getattr(obj, key)) for key in _columns(obj)}


def _diff(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    changes = {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if history.has_changes():
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before != after:
                changes[key] = {"before": _jsonable(before), "after": _jsonable(after)}
    return changes


def _row(actor: Actor, action: str, obj: Any, changes: dict[str, Any]) -> dict[str, Any]:
    kelurahan_id = getattr(obj, "kelurahan_id", None)
    if obj.__tablename__ == "kelurahan":
        kelurahan_id = obj.id
    return {
        "at": utcnow(),
        "user_id": actor.user_id,
        "kelurahan_id": kelurahan_id,
        "action": action,
        "entity": obj.__tablename__,
        "entity_id": getattr(obj, "id", None),
        "changes": changes,
        "ip": actor.ip,
    }


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, flush_context: Any) -> None:
    actor = _current_actor(session)
    if actor is None:
        return
    rows = []
    for obj in session.new:
        if not isinstance(obj, AuditLog) and hasattr(obj, "__tablename__"):
            rows.append(_row(actor, "create", obj, {"after": _snapshot(obj)}))
    for obj in session.dirty:
        if isinstance(obj, AuditLog) or not session.is_modified(obj):
            continue
        changes = _diff(obj)
        if changes:
            rows.append(_row(actor, "update", obj, changes))
    for obj in session.deleted:
        if not isinstance(obj, AuditLog) and hasattr(obj, "__tablename__"):
            rows.append(_row(actor, "delete", obj, {"before": _snapshot(obj)}))
    if rows:
        session.connection().execute(sa.insert(AuditLog.__table__), rows)


def audit_bulk(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    kelurahan_id: int | None,
    changes: dict[str, Any],
) -> None:
    """Record a change made with a bulk statement, which the flush hook cannot see."""
    session.execute(
        sa.insert(AuditLog),
        [
            {
                "at": utcnow(),
                "user_id": actor.user_id,
                "kelurahan_id": kelurahan_id,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "changes": changes,
                "ip": actor.ip,
            }
        ],
    )
