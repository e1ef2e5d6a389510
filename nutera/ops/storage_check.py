"""Files in the upload folder that no record names, and records whose file is missing."""

import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import ComplaintPhoto, Handover, Household, OfflineBlob, Refresh, Survey
from nutera.storage import PENDING_SUFFIX

# A temporary file this young may belong to a request still running.
PENDING_GRACE_SECONDS = 15 * 60
_FILE_COLUMNS = (
    Survey.house_photo,
    Household.house_photo,
    ComplaintPhoto.path,
    Handover.photo_path,
    Handover.photo_thumb_path,
    Handover.signature_path,
    Handover.signature_thumb_path,
    OfflineBlob.path,  # uploaded from a phone, waiting for the record that names it
)


@dataclass
class StorageReport:
    """What a check found (paths relative to the upload folder)."""

    orphans: list[str] = field(default_factory=list)  # no record names them
    unfinished: list[str] = field(default_factory=list)  # recorded, still under .part
    missing: list[str] = field(default_factory=list)  # recorded, no file at all
    files: int = 0

    @property
    def clean(self) -> bool:
        return not (self.orphans or self.unfinished or self.missing)


def referenced_files(session: Session, root: Path) -> set[str]:
    """Every upload-folder path a record names, relative to root."""
    names: set[str] = set()
    for column in _FILE_COLUMNS:
        names.update(session.scalars(sa.select(column).where(column.is_not(None), column != "")))
    resolved = root.resolve()
    for stored in session.scalars(sa.select(Refresh.stored_path).where(Refresh.stored_path != "")):
        path = Path(stored).resolve() if Path(stored).is_absolute() else resolved / stored
        if resolved in path.parents:
            names.add(str(path.relative_to(resolved)))
    return names


def check(session: Session, root: Path, now: float | None = None) -> StorageReport:
    """Compare the upload folder with the records."""
    now = now or time.time()
    report = StorageReport()
    wanted = referenced_files(session, root)
    seen: set[str] = set()
    if root.exists():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            relative = str(path.relative_to(root))
            report.files += 1
            if relative.endswith(PENDING_SUFFIX):
                final = relative[: -len(PENDING_SUFFIX)]
                if final in wanted and not (root / final).exists():
                    report.unfinished.append(relative)
                    seen.add(final)
                elif now - path.stat().st_mtime > PENDING_GRACE_SECONDS:
                    report.orphans.append(relative)
                continue
            seen.add(relative)
            if relative not in wanted:
                report.orphans.append(relative)
    report.missing = sorted(wanted - seen)
    return report


def repair(root: Path, report: StorageReport) -> None:
    """Delete orphans and move recorded temporary files into place."""
    for relative in report.orphans:
        (root / relative).unlink(missing_ok=True)
    for relative in report.unfinished:
        (root / relative).replace(root / relative[: -len(PENDING_SUFFIX)])
