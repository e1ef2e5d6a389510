"""The refresh workflow's states and kinds, which states allow what, and its refusal error.

The StrEnum types live with the models (their columns' defaults name them); this module
is where the workflow code imports them from.
"""

from collections.abc import Callable

from nutera.models.refresh import (
    JOB_FINISHED,
    JOB_RUNNING,
    ChangeAction,
    ConflictChoice,
    Entity,
    JobKind,
    JobStatus,
    RefreshStatus,
)

__all__ = [
    "JOB_FINISHED",
    "JOB_RUNNING",
    "MAPPABLE",
    "ChangeAction",
    "ConflictChoice",
    "Entity",
    "JobKind",
    "JobStatus",
    "Progress",
    "RefreshStateError",
    "RefreshStatus",
    "no_progress",
]

# A refresh whose columns may be (re)mapped and analysed: new, previewed, or failed.
MAPPABLE = (RefreshStatus.PEMETAAN, RefreshStatus.PRATINJAU, RefreshStatus.GAGAL)

# progress(fraction 0..1, Indonesian message): how long work tells its caller how far it is.
Progress = Callable[[float, str], None]


def no_progress(fraction: float, message: str) -> None:
    """Progress sink for callers that do not report."""


class RefreshStateError(ValueError):
    """The refresh cannot do this now; the message is Indonesian."""


NOT_A_PREVIEW = "Hanya pratinjau yang belum diterapkan yang dapat diterapkan."
NOT_THE_LAST = "Hanya pemutakhiran terakhir yang sudah diterapkan yang dapat dibatalkan."


def require_preview(refresh, message: str = NOT_A_PREVIEW) -> None:
    """Refuse unless the refresh is a preview not yet applied."""
    if refresh.status != RefreshStatus.PRATINJAU:
        raise RefreshStateError(message)


def require_last_committed(refresh, last) -> None:
    """Refuse unless the refresh is the kelurahan's last one still in force (last)."""
    if refresh.status != RefreshStatus.DITERAPKAN or last is None or last.id != refresh.id:
        raise RefreshStateError(NOT_THE_LAST)
