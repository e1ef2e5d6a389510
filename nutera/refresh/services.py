"""The refresh workflow, as the web pages, the CLI and the background jobs drive it.

upload -> confirm_mapping -> request_analysis -> (decide, skip) -> request_commit, and
request_revert for the last one committed. Each takes the session and flushes; the caller
commits once, then starts the job it was given (jobs.start, or jobs.run in the CLI).
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.audit import Actor, set_actor
from nutera.models import CONFLICT_CHOICES, Refresh, RefreshDecision, RefreshJob, RefreshRow
from nutera.refresh import commit, incremental, jobs, reader, revert, staging
from nutera.refresh.diff import HOUSEHOLD_FIELDS, PERSON_FIELDS, mark_first_rows, preview_counts
from nutera.refresh.states import (
    MAPPABLE,
    Entity,
    JobKind,
    Progress,
    RefreshStateError,
    RefreshStatus,
    no_progress,
    require_last_committed,
    require_preview,
)

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
    same, scanned = staging.read_upload(session, refresh)
    if same is not None:
        return None, same
    session.add(refresh)
    session.flush()
    if scanned is not None:  # the analysis stages what changed without reading the file again
        incremental.save_scan(session, refresh, scanned)
    return refresh, None


@dataclass
class Upload:
    """A started upload: the new refresh to map, or the last committed one it repeats."""

    refresh: Refresh | None
    same: Refresh | None
    source: str


def start_upload(
    session: Session,
    kelurahan_id: int,
    user_id: int | None,
    source: str,
    stream: BinaryIO,
    filename: str,
    upload_folder: str,
    complete: bool = False,
    kind: str | None = None,
    program: str = "",
) -> Upload:
    """Store an extract and open a refresh of it; a repeat of the source's last committed
    file is not kept. Raises reader.ReadError (nothing kept) for an unreadable file, and
    SourceKindError for a kind other than the one the source was given before."""
    source = " ".join(source.split())
    _source_kinds().choose_kind(session, kelurahan_id, source, kind, program)
    path = store_upload(stream, filename, upload_folder)
    try:
        refresh, same = open_upload(
            session, kelurahan_id, user_id, source, path, Path(filename).name, complete
        )
    except reader.ReadError:
        path.unlink()
        raise
    if same is not None:
        path.unlink()
    return Upload(refresh, same, source)


def _refuse_while_running(session: Session, refresh: Refresh) -> None:
    if jobs.running_job(session, refresh.id) is not None:
        raise RefreshStateError("Pemutakhiran ini sedang diproses; tunggu sampai selesai.")


def confirm_mapping(session: Session, refresh: Refresh, mapping: dict[str, str]) -> None:
    """Take the staff's column mapping, remembered for the next file from this source."""
    if refresh.status not in MAPPABLE:
        raise RefreshStateError("Pemetaan kolom pemutakhiran ini tidak dapat diubah lagi.")
    missing = staging.missing_fields(mapping)
    if missing:
        raise RefreshStateError(f"Kolom tidak ditemukan: {', '.join(missing)}.")
    refresh.mapping = mapping
    staging.remember_mapping(session, refresh.kelurahan_id, refresh.source, mapping)
    session.flush()


def request_analysis(
    session: Session, refresh: Refresh, user_id: int | None, kind: str = JobKind.ANALISIS
) -> RefreshJob:
    """Queue the analysis (stage, match, count) of a mapped refresh."""
    if refresh.status not in MAPPABLE:
        raise RefreshStateError("Pemutakhiran ini tidak dapat dianalisis sekarang.")
    _refuse_while_running(session, refresh)
    refresh.status = RefreshStatus.ANALISIS
    return jobs.create_job(session, refresh, kind, user_id)


def request_commit(session: Session, refresh: Refresh, user_id: int | None) -> RefreshJob:
    """Queue writing a previewed refresh to the registry."""
    require_preview(refresh)
    if is_recipient_list(session, refresh):
        raise RefreshStateError(RECIPIENT_LIST_NOT_COMMITTED)
    _refuse_while_running(session, refresh)
    return jobs.create_job(session, refresh, JobKind.TERAPKAN, user_id)


def request_revert(session: Session, refresh: Refresh, user_id: int | None) -> RefreshJob:
    """Queue restoring every record the kelurahan's last committed refresh changed."""
    require_last_committed(refresh, staging.last_committed(session, refresh.kelurahan_id))
    _refuse_while_running(session, refresh)
    return jobs.create_job(session, refresh, JobKind.BATALKAN, user_id)


def request_retry(session: Session, refresh: Refresh, user_id: int | None) -> RefreshJob:
    """Queue the refresh's failed job (analysis, commit or revert) again."""
    failed = jobs.failed_job(session, refresh.id)
    kind = failed.kind if failed is not None else None
    if kind == JobKind.ANALISIS and refresh.status == RefreshStatus.ANALISIS:
        refresh.status = RefreshStatus.GAGAL  # its job died mid-analysis
    requests = {
        JobKind.ANALISIS: request_analysis,
        JobKind.TERAPKAN: request_commit,
        JobKind.BATALKAN: request_revert,
    }
    if kind not in requests or (kind == JobKind.ANALISIS and not refresh.mapping):
        raise RefreshStateError("Tidak ada proses gagal yang dapat dicoba lagi.")
    return requests[kind](session, refresh, user_id)


def analyse(session: Session, refresh: Refresh, progress: Progress = no_progress) -> dict:
    """Stage, match and count the file's rows: the preview. Returns its counts.

    A recipient list is validated against the population by nutera/sanding instead."""
    if is_recipient_list(session, refresh):
        from nutera.sanding import services as sanding

        return sanding.validate_list(session, refresh, progress)
    return staging.analyse(session, refresh, progress)


# Source kinds (nutera/sanding): a recipient list never creates or changes residents.
RECIPIENT_LIST_NOT_COMMITTED = (
    "Daftar penerima/usulan tidak diterapkan ke registri: hasil validasinya ada di halaman "
    "Sanding data."
)


def _source_kinds():
    # Imported when used: nutera/sanding builds on this package.
    from nutera.sanding import kinds

    return kinds


def is_recipient_list(session: Session, refresh: Refresh) -> bool:
    """Whether the refresh's source is a recipient list (validated, never committed)."""
    return _source_kinds().is_recipient_list(session, refresh)


def apply(
    session: Session, refresh: Refresh, actor: Actor, progress: Progress = no_progress
) -> dict:
    """Write a previewed refresh to the registry in the caller's transaction."""
    return commit.commit_refresh(session, refresh, actor, progress)


def undo(session: Session, refresh: Refresh, actor: Actor) -> None:
    """Revert the kelurahan's last committed refresh in the caller's transaction."""
    revert.revert_refresh(session, refresh, actor)


def _committing_progress(session: Session, job_id: int) -> Progress:
    """An analysis job's progress, committed with the rows staged so far."""

    def report(fraction: float, message: str) -> None:
        jobs.record_progress(session, job_id, fraction, message)
        # Committed on purpose mid-analysis: staged rows are scratch data, the page sees the
        # progress, and the refresh's recorded row range covers every committed batch, so
        # analysing again after a crash deletes them all. The registry is not touched.
        session.commit()

    return report


def perform(session: Session, job: RefreshJob) -> None:
    """The work of a background job; jobs.run holds the lock and commits at the end."""
    refresh = session.get(Refresh, job.refresh_id)
    actor = Actor(job.user_id)
    set_actor(session, None)  # bulk work is audited once, by audit_bulk
    work: dict[str, Callable[[], object]] = {
        JobKind.ANALISIS: lambda: analyse(session, refresh, _committing_progress(session, job.id)),
        JobKind.TERAPKAN: lambda: apply(session, refresh, actor, jobs.side_progress(job.id)),
        JobKind.BATALKAN: lambda: undo(session, refresh, actor),
    }
    work[job.kind]()


_DECIDE_BEFORE_COMMIT = "Keputusan hanya dapat diubah sebelum pemutakhiran diterapkan."


def decide_conflicts(
    session: Session,
    refresh: Refresh,
    choices: dict[tuple[str, int, str], str],
    default: str | None = None,
) -> int:
    """Record per-field choices (keep survey / take file); default applies to the rest.

    Choosing a default (the bulk decision) clears earlier per-field choices."""
    require_preview(refresh, _DECIDE_BEFORE_COMMIT)
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
    require_preview(refresh, _DECIDE_BEFORE_COMMIT)
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


def column_samples(refresh: Refresh) -> dict[str, list[str]]:
    """A few masked values of each column of the upload, for the mapping page."""
    return staging.column_samples(refresh)
