"""Record every ORM create, update and delete made on behalf of a signed-in user.

The acting user and IP are put on the session (``set_actor``) at the edge of a request or
CLI command; an ``after_flush`` hook then writes one AuditLog row per changed record, in
the same transaction as the change itself.
"""
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from nutera.extensions import db
from nutera.models.audit import AuditLog
from nutera.models.base import utcnow

_ACTOR_KEY = "audit_actor"
_SKIPPED_COLUMNS = {"created_at", "updated_at"}


@dataclass(frozen=True)
class Actor:
    """Who is making the changes in this session."""

    user_id: int | None
    ip: str | None = None


def set_actor(session: Session, actor: Actor | None) -> None:
    """Attribute the session's following changes to actor (None stops recording)."""
    if actor is None:
        session.info.pop(_ACTOR_KEY, None)
    else:
        session.info[_ACTOR_KEY] = actor


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
    actor = session.info.get(_ACTOR_KEY)
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
    session: Session, actor: Actor, action: str, entity: str, entity_id: int | None,
    kelurahan_id: int | None, changes: dict[str, Any],
) -> None:
    """Record a change made with a bulk statement, which the flush hook cannot see."""
    session.execute(
        sa.insert(AuditLog),
        [{
            "at": utcnow(), "user_id": actor.user_id, "kelurahan_id": kelurahan_id,
            "action": action, "entity": entity, "entity_id": entity_id,
            "changes": changes, "ip": actor.ip,
        }],
    )


def init_app(app) -> None:
    """Set the acting user on the session at the start of every request."""
    from flask import request
    from flask_login import current_user

    @app.before_request
    def _attribute_changes_to_current_user() -> None:
        if current_user.is_authenticated:
            set_actor(db.session, Actor(current_user.id, request.remote_addr))
        else:
            set_actor(db.session, None)
