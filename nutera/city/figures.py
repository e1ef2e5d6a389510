"""Residents and recipients per kelurahan, counted ahead of time (the overview's heavy part).

Counting every living resident of a city is a scan of millions of rows; the overview reads
one stored row per kelurahan instead, with the time it was counted. The rows are recounted
by the queue every 15 minutes (nutera/scheduled.py, or `flask city recount`), for one
kelurahan in the same transaction as a refresh commit or revert there, and on first sight of
a kelurahan that has none. Grouped statements only, never one per kelurahan.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nutera.models import AidProgram, Enrollment, Kelurahan, KelurahanFigures, Person


@dataclass(frozen=True)
class Counted:
    """One kelurahan's stored figures."""

    residents: int
    recipients: dict[str, int]
    counted_at: datetime


def _limited(column, kelurahan_ids: list[int] | None):
    return sa.true() if kelurahan_ids is None else column.in_(kelurahan_ids)


def recount(session: Session, now: datetime, kelurahan_ids: list[int] | None = None) -> int:
    """Count again (every kelurahan when kelurahan_ids is None) and store; returns how many."""
    if kelurahan_ids is None:
        ids = list(session.scalars(sa.select(Kelurahan.id)))
    else:
        ids = sorted(set(kelurahan_ids))
    if not ids:
        return 0
    residents = dict(
        session.execute(
            sa.select(Person.kelurahan_id, sa.func.count())
            .where(_limited(Person.kelurahan_id, kelurahan_ids), Person.status == "hidup")
            .group_by(Person.kelurahan_id)
        ).all()
    )
    recipients: dict[int, dict[str, int]] = {kid: {} for kid in ids}
    for kelurahan_id, code, count in session.execute(
        sa.select(Enrollment.kelurahan_id, AidProgram.code, sa.func.count())
        .join(AidProgram, AidProgram.id == Enrollment.program_id)
        .where(_limited(Enrollment.kelurahan_id, kelurahan_ids), Enrollment.status == "aktif")
        .group_by(Enrollment.kelurahan_id, AidProgram.code)
    ):
        recipients[kelurahan_id][code] = count
    rows = [
        {
            "kelurahan_id": kid,
            "residents": residents.get(kid, 0),
            "recipients": recipients[kid],
            "counted_at": now,
        }
        for kid in ids
    ]
    _upsert(session, rows)
    return len(rows)


def _upsert(session: Session, rows: list[dict]) -> None:
    """Insert or overwrite the rows (two writers racing on one kelurahan both succeed); a
    count never overwrites one taken later (the 15-minute recount of every kelurahan can
    land after a refresh commit recounted its own)."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(KelurahanFigures)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[KelurahanFigures.kelurahan_id],
            set_={
                "residents": insert.excluded.residents,
                "recipients": insert.excluded.recipients,
                "counted_at": insert.excluded.counted_at,
            },
            where=KelurahanFigures.counted_at <= insert.excluded.counted_at,
        ),
        rows,
    )


def stored(session: Session, kelurahan_ids: list[int], now: datetime) -> dict[int, Counted]:
    """The figures of these kelurahan; those never counted are counted now (and stored)."""
    found = {
        row.kelurahan_id: Counted(row.residents, dict(row.recipients), row.counted_at)
        for row in session.execute(
            sa.select(
                KelurahanFigures.kelurahan_id,
                KelurahanFigures.residents,
                KelurahanFigures.recipients,
                KelurahanFigures.counted_at,
            ).where(KelurahanFigures.kelurahan_id.in_(kelurahan_ids))
        )
    }
    missing = [kid for kid in kelurahan_ids if kid not in found]
    if missing:
        recount(session, now, missing)
        found.update(stored(session, missing, now))
    return found
