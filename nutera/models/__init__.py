"""Typed SQLAlchemy models, one module per area."""
from nutera.models.accounts import ROLES, User, volunteer_rt
from nutera.models.audit import AuditLog
from nutera.models.people import PERSON_STATUSES, RELATIONS, SEXES, Household, Person
from nutera.models.programs import ENROLLMENT_STATUSES, TARGETS, AidProgram, Enrollment
from nutera.models.region import Kelurahan, Rt, Rw

__all__ = [
    "ROLES", "User", "volunteer_rt", "AuditLog", "PERSON_STATUSES", "RELATIONS", "SEXES",
    "Household", "Person", "ENROLLMENT_STATUSES", "TARGETS", "AidProgram", "Enrollment",
    "Kelurahan", "Rt", "Rw",
]
