"""Public statistics without re-identification: small-cell and differencing suppression.

Every count below MIN_CELL is shown as "<5". A column of RW cells is published with its
kelurahan total, so a lone hidden cell could be recovered by subtraction: more cells are
hidden (the smallest first) until the hidden cells hold at least one count of MIN_CELL or
more and add up to at least 2 x MIN_CELL - 1, so no hidden cell can be narrowed down.
A coverage percentage reveals the eligible households receiving and not receiving, so
both of those counts are protected the same way; no figure comes from fewer than five.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from nutera.equity.measures import ProgramIndicator
from nutera.models import AidProgram, Enrollment, Household, Person, Rt, Rw

MIN_CELL = 5
SAFE_HIDDEN_SUM = 2 * MIN_CELL - 1


def _hidden_safe(lines: Sequence[Sequence[int]], hidden: set[int]) -> bool:
    """Whether subtracting the shown cells from each total leaves every hidden cell vague."""
    if not hidden:
        return True
    for values in lines:
        hidden_values = [values[i] for i in hidden]
        if max(hidden_values) < MIN_CELL or sum(hidden_values) < SAFE_HIDDEN_SUM:
            return False
    return True


def protect(lines: Sequence[Sequence[int]], primary: set[int], order: Sequence[int]):
    """(hidden cell indexes, whether the totals may be shown) for cells sharing totals.

    lines: the counts each cell reveals, one sequence per kind of count; primary: cells
    hidden for being small; order: the cells to hide next, smallest first.
    """
    hidden = set(primary)
    for index in order:
        if _hidden_safe(lines, hidden):
            break
        if index not in hidden:
            hidden.add(index)
    if _hidden_safe(lines, hidden):
        return hidden, True
    return set(range(len(lines[0]) if lines else 0)), False


def count_cell(value: int | None, hidden: bool = False) -> str:
    """A published count: '<5' below five, '—' when hidden against differencing."""
    if value is None:
        return "—"
    if value < MIN_CELL:
        return "<5"
    return "—" if hidden else f"{value:,}".replace(",", ".")


def percent(part: int, whole: int) -> str:
    value = round(100 * part / whole)
    return f"{value}%"


@dataclass
class PublicRow:
    """One RW of one program, as the public may see it."""

    rw_number: int
    recipients: str
    eligible: str
    coverage: str


@dataclass
class PublicProgram:
    """A program's public table: RW rows and the kelurahan total row."""

    code: str
    name: str
    rows: list[PublicRow] = field(default_factory=list)
    total: PublicRow | None = None


def _column(values: list[int]) -> tuple[set[int], bool]:
    primary = {i for i, v in enumerate(values) if v < MIN_CELL}
    order = sorted(range(len(values)), key=lambda i: (values[i], i))
    return protect([values], primary, order)


def public_program(indicator: ProgramIndicator) -> PublicProgram:
    """Suppress small cells and the cells that would reveal them by difference."""
    counts = [r.counts for r in indicator.rws]
    recipients = [c.recipients for c in counts]
    eligible = [c.eligible for c in counts]
    hidden_r, total_r_ok = _column(recipients)
    hidden_e, total_e_ok = _column(eligible)
    covered = [c.covered for c in counts]
    excluded = [c.excluded for c in counts]
    primary = {
        i
        for i, c in enumerate(counts)
        if i in hidden_e or c.covered < MIN_CELL or c.excluded < MIN_CELL
    }
    order = sorted(range(len(counts)), key=lambda i: (eligible[i], i))
    hidden_c, total_c_ok = protect([covered, excluded], primary, order)
    table = PublicProgram(indicator.code, indicator.name)
    for i, rw in enumerate(indicator.rws):
        c = rw.counts
        table.rows.append(
            PublicRow(
                rw.rw_number,
                count_cell(c.recipients, i in hidden_r),
                count_cell(c.eligible, i in hidden_e),
                "—" if i in hidden_c else percent(c.covered, c.eligible),
            )
        )
    t = indicator.total
    coverage_ok = total_c_ok and t.eligible >= MIN_CELL and min(t.covered, t.excluded) >= MIN_CELL
    table.total = PublicRow(
        0,
        count_cell(t.recipients, not total_r_ok),
        count_cell(t.eligible, not total_e_ok),
        percent(t.covered, t.eligible) if coverage_ok else "—",
    )
    return table


@dataclass
class PublicCounts:
    """A program's active recipients per RW for machines: None where suppressed."""

    code: str
    name: str
    total: int | None
    by_rw: dict[int, int | None]


def public_recipient_counts(session, kelurahan_id: int) -> list[PublicCounts]:
    """Active recipients per program and RW (every RW, zeros included), suppressed like
    /statistik: a count below five or one that would reveal it by difference is None."""
    household_id = sa.func.coalesce(Enrollment.household_id, Person.household_id)
    rows = session.execute(
        sa.select(AidProgram.code, AidProgram.name, Rt.rw_id, sa.func.count(Enrollment.id))
        .join(AidProgram, AidProgram.id == Enrollment.program_id)
        .join(Person, Person.id == Enrollment.person_id, isouter=True)
        .join(Household, Household.id == household_id)
        .join(Rt, Rt.id == Household.rt_id)
        .where(
            Enrollment.kelurahan_id == kelurahan_id,
            Enrollment.status == "aktif",
            AidProgram.active.is_(True),
        )
        .group_by(AidProgram.code, AidProgram.name, Rt.rw_id)
    ).all()
    rws = session.execute(
        sa.select(Rw.id, Rw.number).where(Rw.kelurahan_id == kelurahan_id).order_by(Rw.number)
    ).all()
    names = {code: name for code, name, _, _ in rows}
    counts = {(code, rw_id): n for code, _, rw_id, n in rows}
    found = []
    for code in sorted(names):
        values = [counts.get((code, rw_id), 0) for rw_id, _ in rws]
        hidden, total_ok = _column(values)
        total = sum(values)
        found.append(
            PublicCounts(
                code,
                names[code],
                total if total_ok and total >= MIN_CELL else None,
                {number: None if i in hidden else values[i] for i, (_, number) in enumerate(rws)},
            )
        )
    return found
