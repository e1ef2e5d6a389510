"""One flask-smorest blueprint per API resource."""

from nutera.api.resources import changes, complaints, distribution, programs, registry, status

BLUEPRINTS = (
    status.bp,
    programs.bp,
    registry.bp,
    distribution.bp,
    complaints.bp,
    changes.bp,
)
BLUEPRINT_NAMES = frozenset(bp.name for bp in BLUEPRINTS)
