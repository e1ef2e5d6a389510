"""Operations the views and the CLI share: store and open uploads, decide conflicts, skip rows."""

import secrets
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import (
    CONFLICT_CHOICES,
    Entity,
    Refresh,
    RefreshDecision,
    RefreshRow,
    RefreshStatus,
)
from nutera.refresh import reader, staging
from nutera.refresh.commit import RefreshStateError
from nutera.refresh.diff import HOUSEHOLD_FIELDS, PERSON_FIELDS, mark_first_rows, preview_counts

UPLOAD_SUBFOLDER = "refresh"
CHUNK = 1 << 20


def store_upload(stream: BinaryIO, filename: str, upload_folder: str) -> Path:
    """Copy an uploaded extract under a random name in the upload folder (never static/)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx"):
        raise ValueError("Hanya berkas CSV atau XLSX.")
    folder = Path(upload_folder) / UPLOAD_SUBFOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{secrets.token_hex(16)}{suffix}"
    with open(target, "wb") as handle:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            handle.write(chunk)
    return target


def open_upload(
    session: Session,
    kelurahan_id: int,
    user_id: int | None,
    source: str,
    path: Path,
    filename: str,
    complete: bool = False,
) -> tuple[Refresh | None, Refresh | None]:
    """(new refresh, None) for a stored upload, or (None, last refresh) when the file is the
    one last committed from source: the same bytes, or a re-saved copy with the same cells
    under the same column mapping. Raises reader.ReadError for an unreadable file."""
    same = staging.identical_to_last(session, kelurahan_id, source, reader.file_sha256(path))
    if same is not None:
        return None, same
    refresh = staging.new_refresh(session, kelurahan_id, user_id, source, path, filename, complete)
    same = staging.content_identical_to_last(session, refresh)
    if same is not None:
        return None, same
    session.add(refresh)
    session.flush()
    return refresh, None


def _require_preview(refresh: Refresh) -> None:
    if refresh.status != RefreshStatus.PRATINJAU:
        raise RefreshStateError("Keputusan hanya dapat diubah sebelum pemutakhiran diterapkan.")


def decide_conflicts(
    session: Session,
    refresh: Refresh,
    choices: dict[tuple[str, int, str], str],
    default: str | None = None,
) -> int:
    """Record per-field choices (keep survey / take file); default applies to the rest.

    Choosing a default (the bulk decision) clears earlier per-field choices."""
    _require_preview(refresh)
    if default is not None:
        if default not in CONFLICT_CHOICES:
            raise RefreshStateError("Pilihan tidak dikenal.")
        refresh.conflict_default = default
        session.execute(sa.delete(RefreshDecision).where(RefreshDecision.refresh_id == refresh.id))
    saved = 0
    for (entity, entity_id, field), choice in choices.items():
        fields = PERSON_FIELDS if entity == Entity.PERSON else HOUSEHOLD_FIELDS
        if field not in fields or choice not in CONFLICT_CHOICES:
            continue
        decision = session.scalar(
            sa.select(RefreshDecision).where(
                RefreshDecision.refresh_id == refresh.id,
                RefreshDecision.entity == entity,
                RefreshDecision.entity_id == entity_id,
                RefreshDecision.field == field,
            )
        )
        if decision is None:
            session.add(
                RefreshDecision(
                    refresh_id=refresh.id,
                    entity=entity,
                    entity_id=entity_id,
                    field=field,
                    choice=choice,
                )
            )
        else:
            decision.choice = choice
        saved += 1
    session.flush()
    return saved


def parse_choices(form: dict[str, str]) -> dict[tuple[str, int, str], str]:
    """Form fields named 'c:person:12:name' -> {('person', 12, 'name'): choice}."""
    choices = {}
    for key, value in form.items():
        parts = key.split(":")
        if len(parts) == 4 and parts[0] == "c" and parts[2].isdigit():
            choices[(parts[1], int(parts[2]), parts[3])] = value
    return choices


def toggle_skip(session: Session, refresh: Refresh, row_id: int) -> bool:
    """Leave a possible duplicate row out of the commit (or take it back in)."""
    _require_preview(refresh)
    row = session.scalar(
        sa.select(RefreshRow).where(RefreshRow.id == row_id, RefreshRow.refresh_id == refresh.id)
    )
    if row is None or row.error is not None:
        raise RefreshStateError("Baris tidak ditemukan.")
    row.skip = not row.skip
    session.flush()
    mark_first_rows(session, refresh, row.kk)
    return row.skip


def decisions_of(session: Session, refresh: Refresh) -> dict[tuple[str, int, str], str]:
    """The per-field choices recorded so far."""
    return {
        (d.entity, d.entity_id, d.field): d.choice
        for d in session.scalars(
            sa.select(RefreshDecision).where(RefreshDecision.refresh_id == refresh.id)
        )
    }


def recount(session: Session, refresh: Refresh) -> None:
    """Refresh the preview counts after a row was skipped or taken back."""
    refresh.counts = preview_counts(session, refresh)
    session.flush()
