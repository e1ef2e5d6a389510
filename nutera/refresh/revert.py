"""Revert the last committed refresh: restore what it changed, delete what it created.

A commit recorded the previous values of every record it changed and the id ranges of the
records it created (refresh_change); the caller commits once or rolls back.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera import changes
from nutera.audit import Actor, audit_bulk
from nutera.city import figures as city_figures
from nutera.models import Refresh, RefreshChange
from nutera.models.api import ChangeKind
from nutera.refresh.kelurahan_lock import lock_for_writing
from nutera.refresh.staging import last_committed
from nutera.refresh.states import (
    ChangeAction,
    Entity,
    RefreshStateError,
    RefreshStatus,
    require_last_committed,
)
from nutera.refresh.tables import CHANGE, ENROLLMENT, HOUSEHOLD, PERSON
from nutera.timeutil import utcnow

_CREATED = {Entity.HOUSEHOLD: HOUSEHOLD, Entity.PERSON: PERSON, Entity.ENROLLMENT: ENROLLMENT}
_FEED_KINDS = {
    Entity.HOUSEHOLD: ChangeKind.HOUSEHOLD,
    Entity.PERSON: ChangeKind.PERSON,
    Entity.ENROLLMENT: ChangeKind.ENROLLMENT,
}
_TABLE_LABELS = {  # every table that refers to a person, a household or an enrollment
    "person": "warga",
    "household": "KK",
    "enrollment": "kepesertaan program",
    "survey": "survei",
    "survey_task": "tugas survei",
    "distribution_recipient": "penerima penyaluran",
    "targeting_case": "kasus penetapan sasaran",
    "complaint": "pengaduan",
    "sanding_row": "baris daftar penerima (sanding)",
    "sanding_candidate": "kandidat sanding",
    "sanding_decision": "keputusan sanding",
}


def stamp_of(refresh: Refresh):
    """The time on the records the refresh wrote (before migration 0012: committed_at)."""
    return refresh.records_stamped_at or refresh.committed_at


def created_by(
    session: Session, refresh: Refresh, table: sa.Table, entity: str
) -> sa.ColumnElement[bool]:
    """Records of table this refresh created (ids others took inside a range fall out)."""
    # A range is read through the primary key; the commit time and kelurahan tell the
    # refresh's records from ids another writer took meanwhile (PostgreSQL sequences hand
    # them out across transactions, in order as long as the sequence caches none).
    creates = sa.and_(
        CHANGE.c.refresh_id == refresh.id,
        CHANGE.c.entity == entity,
        CHANGE.c.action == ChangeAction.CREATE,
    )
    ranges = session.execute(
        sa.select(CHANGE.c.entity_id, CHANGE.c.last_entity_id).where(
            creates, CHANGE.c.last_entity_id.is_not(None)
        )
    ).all()
    in_range = [table.c.id.between(first, last) for first, last in ranges]
    # Refreshes committed before ranges were kept recorded one row per created record.
    in_range.append(
        table.c.id.in_(
            sa.select(CHANGE.c.entity_id).where(creates, CHANGE.c.last_entity_id.is_(None))
        )
    )
    return sa.and_(
        sa.or_(*in_range),
        table.c.kelurahan_id == refresh.kelurahan_id,
        table.c.created_at == sa.literal(stamp_of(refresh), table.c.created_at.type),
    )


def _restore(
    session: Session, refresh: Refresh, table: sa.Table, entity: str, fields: dict[str, str]
) -> None:
    """Put back the previous values the refresh recorded for the records it updated."""
    changes = sa.and_(
        CHANGE.c.refresh_id == refresh.id,
        CHANGE.c.entity == entity,
        CHANGE.c.action == ChangeAction.UPDATE,
    )
    old = {
        field: sa.select(CHANGE.c[old_name])
        .where(changes, CHANGE.c.entity_id == table.c.id)
        .scalar_subquery()
        for field, old_name in fields.items()
    }
    # Back to its previous updated_at too, so the refresh before stays revertible.
    old["updated_at"] = sa.func.coalesce(
        sa.select(CHANGE.c.old_updated_at)
        .where(changes, CHANGE.c.entity_id == table.c.id)
        .scalar_subquery(),
        table.c.updated_at,
    )
    session.execute(
        sa.update(table)
        .where(table.c.id.in_(sa.select(CHANGE.c.entity_id).where(changes)))
        .values(old)
    )


def updated_by(refresh: Refresh, table: sa.Table, entity: str, stamp) -> sa.Select:
    """(id, kelurahan_id) of the records of table the refresh changed (each once): recorded
    with their previous values and still carrying its time (a conflict kept does not)."""
    recorded = sa.select(CHANGE.c.entity_id).where(
        CHANGE.c.refresh_id == refresh.id,
        CHANGE.c.entity == entity,
        CHANGE.c.action == ChangeAction.UPDATE,
    )
    return sa.select(table.c.id, table.c.kelurahan_id).where(
        table.c.id.in_(recorded),
        table.c.updated_at == sa.literal(stamp, table.c.updated_at.type),
    )


def _record_restored(session: Session, refresh: Refresh) -> None:
    """Change-feed entries for the records the refresh changed, taken before their previous
    values are put back."""
    for entity, table in _CREATED.items():
        changes.record_bulk(
            session,
            _FEED_KINDS[entity],
            "update",
            updated_by(refresh, table, entity, stamp_of(refresh)),
        )


def _delete_created(session: Session, refresh: Refresh, table: sa.Table, entity: str) -> None:
    """Delete the records of table the refresh created."""
    session.execute(sa.delete(table).where(created_by(session, refresh, table, entity)))


def _used_since(session: Session, refresh: Refresh) -> str | None:
    """What kind of record made since refers to one this refresh created, if any."""
    for table in RefreshChange.metadata.sorted_tables:
        for foreign_key in table.foreign_keys:
            target = foreign_key.column.table
            entity = next((e for e, t in _CREATED.items() if t is target), None)
            if entity is None or foreign_key.column.name != "id":
                continue
            created = sa.select(target.c.id).where(created_by(session, refresh, target, entity))
            users = sa.select(table.c[foreign_key.parent.name]).where(
                table.c[foreign_key.parent.name].in_(created)
            )
            own = next((e for e, t in _CREATED.items() if t is table), None)
            if own is not None:
                users = users.where(~created_by(session, refresh, table, own))
            if session.scalar(sa.select(sa.exists(users))):
                return _TABLE_LABELS[table.name]
    return None


def _changed_since(session: Session, refresh: Refresh) -> str | None:
    """What kind of record the refresh updated was changed again after it, if any."""
    for entity, table in _CREATED.items():
        updated = sa.select(CHANGE.c.entity_id).where(
            CHANGE.c.refresh_id == refresh.id,
            CHANGE.c.entity == entity,
            CHANGE.c.action == ChangeAction.UPDATE,
        )
        later = sa.select(table.c.id).where(
            table.c.id.in_(updated),
            table.c.updated_at > sa.literal(stamp_of(refresh), table.c.updated_at.type),
        )
        if session.scalar(sa.select(sa.exists(later))):
            return _TABLE_LABELS[table.name]
    return None


def revert_refresh(session: Session, refresh: Refresh, actor: Actor) -> None:
    """Restore the previous values of every record the last refresh changed or created.

    Under the kelurahan's write lock, like a commit: which refresh is last, and whether its
    records changed since, cannot move while it is undone."""
    session.flush()
    lock_for_writing(session, refresh.kelurahan_id)
    session.refresh(refresh)
    last = last_committed(session, refresh.kelurahan_id)
    require_last_committed(refresh, last)
    # Restoring would overwrite what staff or a survey changed since.
    changed = _changed_since(session, refresh)
    if changed is not None:
        raise RefreshStateError(
            f"Pemutakhiran ini tidak dapat dibatalkan: data {changed} yang diubahnya sudah "
            f"diubah lagi sesudahnya. Perbaiki data itu satu per satu."
        )
    _record_restored(session, refresh)
    _restore(
        session,
        refresh,
        ENROLLMENT,
        Entity.ENROLLMENT,
        {
            "status": "old_status",
            "status_reason": "old_status_reason",
            "status_changed_at": "old_status_changed_at",
        },
    )
    _restore(
        session,
        refresh,
        PERSON,
        Entity.PERSON,
        {
            "name": "old_name",
            "sex": "old_sex",
            "birth_date": "old_birth_date",
            "household_id": "old_household_id",
        },
    )
    _restore(
        session,
        refresh,
        HOUSEHOLD,
        Entity.HOUSEHOLD,
        {"address": "old_address", "rt_id": "old_rt_id"},
    )
    # Checked once the refresh's own changes are undone: a resident it moved into a KK it
    # created points back to the old KK by now. The caller rolls back on the refusal.
    used_by = _used_since(session, refresh)
    if used_by is not None:
        raise RefreshStateError(
            f"Pemutakhiran ini tidak dapat dibatalkan: data yang dibuatnya sudah dipakai oleh "
            f"data {used_by} yang dibuat sesudahnya. Perbaiki data itu satu per satu."
        )
    for entity in (Entity.ENROLLMENT, Entity.PERSON, Entity.HOUSEHOLD):
        created = _CREATED[entity]
        changes.record_bulk(
            session,
            _FEED_KINDS[entity],
            "delete",
            sa.select(created.c.id, created.c.kelurahan_id).where(
                created_by(session, refresh, created, entity)
            ),
        )
        _delete_created(session, refresh, created, entity)
    refresh.status, refresh.reverted_at = RefreshStatus.DIBATALKAN, utcnow()
    city_figures.recount(session, refresh.reverted_at, [refresh.kelurahan_id])
    audit_bulk(
        session,
        actor,
        "revert",
        "refresh",
        refresh.id,
        refresh.kelurahan_id,
        {
            "source": refresh.source,
            "filename": refresh.filename,
            "applied": refresh.counts.get("applied", {}),
        },
    )
    session.flush()
