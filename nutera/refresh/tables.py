"""Core table aliases the refresh's set-based statements are written with."""

from nutera.models import (
    Enrollment,
    Household,
    Person,
    Refresh,
    RefreshChange,
    RefreshDecision,
    RefreshRow,
)

ROW = RefreshRow.__table__
PERSON = Person.__table__
HOUSEHOLD = Household.__table__
ENROLLMENT = Enrollment.__table__
REFRESH = Refresh.__table__
DECISION = RefreshDecision.__table__
CHANGE = RefreshChange.__table__
