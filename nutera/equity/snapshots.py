"""Snapshots of the indicators after every refresh commit and every night, and their trend."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera import changes
from nutera.equity.indicators import count_rows, local_today
from nutera.equity.measures import COUNT_FIELDS, Counts
from nutera.models import (
    EquitySnapshot,
    EquitySnapshotRow,
    Household,
    Kelurahan,
    Refresh,
    RefreshRow,
    Rw,
    Setting,
    Survey,
)
from nutera.models.api import ChangeKind
from nutera.timeutil import as_utc, utcnow

CAMPAIGN_KEY = "survey_campaign_start"


def take_snapshot(
    session: Session,
    kelurahan_id: int,
    trigger: str,
    now: datetime | None = None,
    refresh_id: int | None = None,
) -> EquitySnapshot:
    """Store the kelurahan's counts per program and RW as they are now (adds and flushes)."""
    now = now or utcnow()
    place = session.get(Kelurahan, kelurahan_id)
    rows = count_rows(session, [kelurahan_id], local_today(now, place), now)
    snapshot = EquitySnapshot(
        kelurahan_id=kelurahan_id, taken_at=now, trigger=trigger, refresh_id=refresh_id
    )
    session.add(snapshot)
    session.flush()
    if rows:
        session.execute(
            sa.insert(EquitySnapshotRow),
            [
                {
                    "snapshot_id": snapshot.id,
                    "program_id": program_id,
                    "rw_id": rw_id,
                    **{name: getattr(counts, name) for name in COUNT_FIELDS},
                }
                for _, rw_id, program_id, counts in rows
            ],
        )
    return snapshot


def snapshot_all(session: Session, trigger: str = "harian", now: datetime | None = None) -> int:
    """A snapshot of every kelurahan (the nightly job); returns how many were taken."""
    ids = session.scalars(sa.select(Kelurahan.id).order_by(Kelurahan.id)).all()
    for kelurahan_id in ids:
        take_snapshot(session, kelurahan_id, trigger, now)
    return len(ids)


def after_refresh_commit(session: Session, refresh: Refresh, now: datetime) -> None:
    """Called by the refresh commit before its staged rows go: confirm the KKs, take desil
    (a change of desil alone goes into the change feed here), snapshot the indicators. Part
    of the commit's transaction."""
    staged = sa.and_(
        RefreshRow.refresh_id == refresh.id,
        RefreshRow.id.between(refresh.first_row_id or 0, refresh.last_row_id or 0),
        RefreshRow.error.is_(None),
        RefreshRow.skip.is_(False),
    )
    # Each KK once (its first accepted row), and not the households the commit created
    # confirmed already: at a city's first import a second write of every household.
    # Driven from the staged rows (a week's few changed families), each KK found by its
    # unique index, rather than from every household of the kelurahan.
    confirmed = Household.refresh_confirmed_at
    due = (
        sa.select(Household.id)
        .join(RefreshRow, RefreshRow.kk == Household.kk_number)
        .where(
            staged,
            RefreshRow.is_first.is_(True),
            # A KK no household had at the analysis is one the commit created, confirmed.
            RefreshRow.household_id.is_not(None),
            Household.kelurahan_id == refresh.kelurahan_id,
            sa.or_(confirmed.is_(None), confirmed < sa.literal(now, confirmed.type)),
        )
    )
    session.execute(
        sa.update(Household)
        .where(Household.id.in_(due))
        # updated_at kept: revert tells records changed since the commit by it.
        .values(refresh_confirmed_at=now, updated_at=Household.updated_at)
        .execution_options(synchronize_session=False)
    )
    if (refresh.mapping or {}).get("desil"):  # (no desil column: no row has one)
        _take_deciles(session, refresh, staged, now)
    take_snapshot(session, refresh.kelurahan_id, "pemutakhiran", now, refresh.id)


def _take_deciles(session: Session, refresh: Refresh, staged, now: datetime) -> None:
    """Each household's desil from its staged rows (the largest given)."""
    # One grouped pass over the staged rows (UPDATE ... FROM, on SQLite and PostgreSQL):
    # a correlated subquery would scan the staged range once per household.
    deciles = (
        sa.select(RefreshRow.kk.label("kk"), sa.func.max(RefreshRow.desil).label("desil"))
        .where(staged, RefreshRow.desil.is_not(None))
        .group_by(RefreshRow.kk)
        .subquery()
    )
    # A household whose desil is all that changes keeps its updated_at, so the commit's own
    # feed entries (what it created or updated: stamped with its time) do not list it.
    changes.record_bulk(
        session,
        ChangeKind.HOUSEHOLD,
        "update",
        sa.select(Household.id, Household.kelurahan_id).where(
            Household.kelurahan_id == refresh.kelurahan_id,
            Household.kk_number == deciles.c.kk,
            Household.desil.is_distinct_from(deciles.c.desil),
            Household.updated_at != sa.literal(now, Household.updated_at.type),
        ),
    )
    session.execute(
        sa.update(Household)
        .where(Household.kelurahan_id == refresh.kelurahan_id, Household.kk_number == deciles.c.kk)
        .values(desil=deciles.c.desil, updated_at=Household.updated_at)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class TrendPoint:
    """The last snapshot of one week: its date and counts."""

    week: str  # ISO week, e.g. "2026-W46"
    day: date
    counts: Counts


def trend(
    session: Session, kelurahan_id: int, program_id: int, rw_number: int | None = None
) -> list[TrendPoint]:
    """Week by week (the last snapshot of each ISO week), for the program or one RW."""
    stmt = (
        sa.select(
            EquitySnapshot.id,
            EquitySnapshot.taken_at,
            *[sa.func.sum(getattr(EquitySnapshotRow, n)) for n in COUNT_FIELDS],
        )
        .join(EquitySnapshotRow, EquitySnapshotRow.snapshot_id == EquitySnapshot.id)
        .where(
            EquitySnapshot.kelurahan_id == kelurahan_id,
            EquitySnapshotRow.program_id == program_id,
        )
        .group_by(EquitySnapshot.id, EquitySnapshot.taken_at)
        .order_by(EquitySnapshot.taken_at, EquitySnapshot.id)
    )
    if rw_number is not None:
        stmt = stmt.join(Rw, Rw.id == EquitySnapshotRow.rw_id).where(Rw.number == rw_number)
    weeks: dict[str, TrendPoint] = {}
    place = session.get(Kelurahan, kelurahan_id)
    for _, taken_at, *values in session.execute(stmt):
        day = local_today(as_utc(taken_at), place)
        year, week, _ = day.isocalendar()
        key = f"{year}-W{week:02d}"
        weeks[key] = TrendPoint(key, day, Counts(*(int(v or 0) for v in values)))
    return list(weeks.values())


def campaign_start(session: Session, kelurahan_id: int) -> date | None:
    """When the survey campaign started: the staff's setting, else the first survey sent."""
    value = session.scalar(
        sa.select(Setting.value).where(
            Setting.kelurahan_id == kelurahan_id, Setting.key == CAMPAIGN_KEY
        )
    )
    if value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    first = session.scalar(
        sa.select(sa.func.min(Survey.submitted_at)).where(Survey.kelurahan_id == kelurahan_id)
    )
    return local_today(as_utc(first), session.get(Kelurahan, kelurahan_id)) if first else None


def set_campaign_start(session: Session, kelurahan_id: int, day: date) -> None:
    """Record the day the kelurahan's survey campaign started."""
    setting = session.scalar(
        sa.select(Setting).where(Setting.kelurahan_id == kelurahan_id, Setting.key == CAMPAIGN_KEY)
    )
    if setting is None:
        setting = Setting(kelurahan_id=kelurahan_id, key=CAMPAIGN_KEY, value="")
        session.add(setting)
    setting.value = day.isoformat()
    session.flush()
