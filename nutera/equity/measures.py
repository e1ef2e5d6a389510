"""What the indicators are made of: household counts, their ratios, the spread between RWs."""

from dataclasses import dataclass, field

COUNT_FIELDS = (
    "households",
    "eligible",
    "recipients",
    "covered",
    "wrongly_included",
    "unknown",
    "recent",
)


@dataclass
class Counts:
    """Household counts behind the indicators, for one program in one RW (or summed)."""

    households: int = 0
    eligible: int = 0
    recipients: int = 0
    covered: int = 0
    wrongly_included: int = 0
    unknown: int = 0
    recent: int = 0

    def add(self, other: "Counts") -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def excluded(self) -> int:
        return self.eligible - self.covered

    @property
    def coverage(self) -> float | None:
        return self.covered / self.eligible if self.eligible else None

    @property
    def exclusion_error(self) -> float | None:
        return self.excluded / self.eligible if self.eligible else None

    @property
    def inclusion_error(self) -> float | None:
        return self.wrongly_included / self.recipients if self.recipients else None

    @property
    def recent_share(self) -> float | None:
        return self.recent / self.households if self.households else None


@dataclass
class RwIndicator:
    """One RW's counts for one program."""

    rw_id: int
    rw_number: int
    counts: Counts


@dataclass
class ProgramIndicator:
    """A program's indicators in one kelurahan: totals, per RW, and the spread between RWs."""

    program_id: int
    code: str
    name: str
    kelurahan_id: int
    total: Counts = field(default_factory=Counts)
    rws: list[RwIndicator] = field(default_factory=list)

    @property
    def rw_coverages(self) -> list[tuple[int, float]]:
        """(RW number, coverage) of RWs with eligible households."""
        return [(r.rw_number, r.counts.coverage) for r in self.rws if r.counts.eligible]

    @property
    def gini(self) -> float | None:
        return gini([c for _, c in self.rw_coverages])

    @property
    def lowest_rw(self) -> tuple[int, float] | None:
        found = self.rw_coverages
        return min(found, key=lambda rc: (rc[1], rc[0])) if found else None

    @property
    def highest_rw(self) -> tuple[int, float] | None:
        found = self.rw_coverages
        return max(found, key=lambda rc: (rc[1], -rc[0])) if found else None


def gini(values: list[float]) -> float | None:
    """Gini coefficient: mean absolute difference of all pairs / (2 x mean); 0 is even."""
    if not values:
        return None
    mean = sum(values) / len(values)
    if mean == 0:
        return 0.0
    ordered = sorted(values)
    n = len(ordered)
    # sum over pairs |xi - xj| = 2 * sum_i (2i - n + 1) x_i for sorted x (0-based i)
    pair_sum = 2 * sum((2 * i - n + 1) * x for i, x in enumerate(ordered))
    return pair_sum / (2 * n * n * mean)
