"""What the equity dashboard and its trend endpoint show."""

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.equity.indicators import local_today, program_indicators
from nutera.equity.measures import ProgramIndicator
from nutera.equity.snapshots import campaign_start, trend
from nutera.models import AidProgram, EquitySnapshot, Kelurahan
from nutera.timeutil import as_utc


@dataclass
class DashboardView:
    """The indicators of all programs, the one selected, and the RW selected (if any)."""

    indicators: list[ProgramIndicator] = field(default_factory=list)
    selected: ProgramIndicator | None = None
    rw: int | None = None
    campaign: date | None = None
    last_snapshot: datetime | None = None

    @property
    def rw_counts(self):
        if self.selected is None or self.rw is None:
            return None
        return next((r.counts for r in self.selected.rws if r.rw_number == self.rw), None)

    @property
    def worst_rws(self):
        """RWs with eligible households, lowest coverage first (five at most)."""
        if self.selected is None:
            return []
        found = [r for r in self.selected.rws if r.counts.eligible]
        return sorted(found, key=lambda r: (r.counts.coverage, r.rw_number))[:5]


def dashboard_view(
    session: Session, kelurahan: Kelurahan, code: str | None, rw: int | None, now: datetime
) -> DashboardView:
    """Live indicators of the kelurahan with the program and RW the staff chose."""
    indicators = program_indicators(session, kelurahan.id, local_today(now, kelurahan), now)
    selected = next((i for i in indicators if i.code == (code or "").upper()), None)
    if selected is None and indicators:
        selected = indicators[0]
    if selected is not None and rw not in {r.rw_number for r in selected.rws}:
        rw = None
    last = session.scalar(
        sa.select(sa.func.max(EquitySnapshot.taken_at)).where(
            EquitySnapshot.kelurahan_id == kelurahan.id
        )
    )
    return DashboardView(
        indicators,
        selected,
        rw,
        campaign_start(session, kelurahan.id),
        as_utc(last) if last else None,
    )


def program_of(session: Session, kelurahan_id: int, code: str) -> AidProgram | None:
    """An active program of the kelurahan by code."""
    return session.scalar(
        sa.select(AidProgram).where(
            AidProgram.kelurahan_id == kelurahan_id,
            AidProgram.code == code.upper(),
            AidProgram.active.is_(True),
        )
    )


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def trend_payload(
    session: Session, kelurahan: Kelurahan, program: AidProgram, rw: int | None
) -> dict:
    """The weekly series of a program (or one RW), in percent, for Chart.js."""
    points = trend(session, kelurahan.id, program.id, rw)
    start = campaign_start(session, kelurahan.id)
    campaign_week = None
    if start is not None:
        year, week, _ = start.isocalendar()
        campaign_week = f"{year}-W{week:02d}"
    return {
        "program": program.code,
        "rw": rw,
        "weeks": [p.week for p in points],
        "labels": [p.day.strftime("%d/%m/%Y") for p in points],
        "coverage": [_pct(p.counts.coverage) for p in points],
        "exclusion": [_pct(p.counts.exclusion_error) for p in points],
        "inclusion": [_pct(p.counts.inclusion_error) for p in points],
        "recent": [_pct(p.counts.recent_share) for p in points],
        "campaign_week": campaign_week,
        "campaign_label": start.strftime("%d/%m/%Y") if start else None,
    }
