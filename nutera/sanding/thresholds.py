"""The scores that decide what a candidate match leads to (settings SANDING_*)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Thresholds:
    """Scores 0-100: confirm and above is proposed for bulk confirmation, review and above
    goes to the queue, below is no candidate; a NIK match whose name scores below
    name_match is 'name differs'."""

    confirm: int = 95
    review: int = 80
    name_match: int = 85


def from_config(config: Mapping[str, Any]) -> Thresholds:
    """The thresholds set in the app's config (defaults where not set)."""
    default = Thresholds()
    return Thresholds(
        confirm=int(config.get("SANDING_CONFIRM_SCORE", default.confirm)),
        review=int(config.get("SANDING_REVIEW_SCORE", default.review)),
        name_match=int(config.get("SANDING_NAME_MATCH_SCORE", default.name_match)),
    )
