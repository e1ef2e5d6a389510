"""Per-kelurahan figures of the overview: a handful of grouped statements, never one per row;
residents and recipients come from the counts stored ahead of time (nutera/city/figures.py)."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.city import figures
from nutera.complaints.queries import overdue_condition
from nutera.models import Complaint, Kelurahan, Refresh, Survey, User
from nutera.models.complaints import OPEN_STATUSES
from nutera.scoping import visible_kelurahans
from nutera.timeutil import as_utc

REFRESH_EVERY = timedelta(days=7)  # the registry is refreshed weekly
SORTABLE = (
    "name",
    "kecamatan",
    "residents",
    "surveys",
    "open",
    "overdue",
    "refreshed",
)


@dataclass
class KelurahanRow:
    """One kelurahan's line of the overview."""

    id: int
    code: str
    name: str
    kecamatan: str
    residents: int = 0
    recipients: dict[str, int] = field(default_factory=dict)
    surveys: int = 0  # verified this month
    open: int = 0
    overdue: int = 0
    refreshed: datetime | None = None  # the last weekly refresh written to the registry
    refresh_overdue: bool = True


@dataclass
class Overview:
    """Every row, the program codes (one column each) and the totals."""

    rows: list[KelurahanRow]
    programs: list[str]
    totals: dict[str, int]
    counted_at: datetime | None = None  # residents and recipients: the oldest count shown


def _grouped(session: Session, stmt: sa.Select) -> dict:
    return dict(session.execute(stmt).all())


def overview(
    session: Session, viewer: User, today: date, month_start: datetime, now: datetime
) -> Overview:
    """The figures of every kelurahan viewer sees, from one statement per figure."""
    visible = visible_kelurahans(viewer).with_only_columns(Kelurahan.id).scalar_subquery()
    kelurahans = session.execute(
        visible_kelurahans(viewer)
        .with_only_columns(Kelurahan.id, Kelurahan.code, Kelurahan.name, Kelurahan.kecamatan)
        .order_by(Kelurahan.name)
    ).all()
    rows = {k.id: KelurahanRow(k.id, k.code, k.name, k.kecamatan) for k in kelurahans}
    in_scope = {model: model.kelurahan_id.in_(visible) for model in (Survey, Complaint, Refresh)}
    surveys = _grouped(
        session,
        sa.select(Survey.kelurahan_id, sa.func.count())
        .where(in_scope[Survey], Survey.status == "verified", Survey.decided_at >= month_start)
        .group_by(Survey.kelurahan_id),
    )
    complaints = session.execute(
        sa.select(
            Complaint.kelurahan_id,
            sa.func.count().filter(Complaint.status.in_(OPEN_STATUSES)),
            sa.func.count().filter(overdue_condition(today)),
        )
        .where(in_scope[Complaint], Complaint.status.in_(OPEN_STATUSES))
        .group_by(Complaint.kelurahan_id)
    ).all()
    refreshed = _grouped(
        session,
        sa.select(Refresh.kelurahan_id, sa.func.max(Refresh.committed_at))
        .where(in_scope[Refresh], Refresh.status == "diterapkan")
        .group_by(Refresh.kelurahan_id),
    )
    counted = figures.stored(session, list(rows), now)
    programs: set[str] = set()
    for kelurahan_id, found in counted.items():
        rows[kelurahan_id].residents = found.residents
        rows[kelurahan_id].recipients = found.recipients
        programs.update(found.recipients)
    for kelurahan_id, open_count, overdue_count in complaints:
        rows[kelurahan_id].open, rows[kelurahan_id].overdue = open_count, overdue_count
    for row in rows.values():
        row.surveys = surveys.get(row.id, 0)
        row.refreshed = refreshed.get(row.id)
        row.refresh_overdue = row.refreshed is None or as_utc(row.refreshed) < now - REFRESH_EVERY
    listed = list(rows.values())
    totals = {
        "residents": sum(r.residents for r in listed),
        "surveys": sum(r.surveys for r in listed),
        "open": sum(r.open for r in listed),
        "overdue": sum(r.overdue for r in listed),
        "refresh_overdue": sum(r.refresh_overdue for r in listed),
        **{code: sum(r.recipients.get(code, 0) for r in listed) for code in programs},
    }
    counted_at = min((found.counted_at for found in counted.values()), default=None)
    return Overview(listed, sorted(programs), totals, counted_at)


def sort_rows(rows: list[KelurahanRow], key: str, descending: bool) -> list[KelurahanRow]:
    """Rows sorted by a column (a program code sorts by its recipients); never-refreshed
    kelurahan count as the oldest refresh."""
    if key.startswith("program:"):
        code = key.split(":", 1)[1]
        return sorted(rows, key=lambda r: r.recipients.get(code, 0), reverse=descending)
    if key == "refreshed":
        oldest = datetime.min.replace(tzinfo=UTC)
        return sorted(
            rows,
            key=lambda r: as_utc(r.refreshed) if r.refreshed else oldest,
            reverse=descending,
        )
    if key not in SORTABLE:
        key = "name"
    return sorted(rows, key=lambda r: getattr(r, key), reverse=descending)
