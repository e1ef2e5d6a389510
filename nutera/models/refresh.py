"""The weekly data refresh: imported files, their staged rows, what a commit changed, jobs.

A refresh stages every row of a kelurahan extract in ``refresh_row`` (valid or rejected),
diffs it against the registry with set-based SQL, and on commit records the previous values
of every record it changes in ``refresh_change`` so the last refresh can be reverted.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nutera.extensions import db
from nutera.models.accounts import User
from nutera.models.labels import LabelledEnum
from nutera.timeutil import utcnow


# The workflow's rules over these live in nutera/refresh/states.py; the types are here so
# the columns' defaults can name them without the models importing the refresh package.
class RefreshStatus(LabelledEnum):
    PEMETAAN = "pemetaan", "Menunggu pemetaan kolom"
    ANALISIS = "analisis", "Sedang dianalisis"
    PRATINJAU = "pratinjau", "Pratinjau (belum diterapkan)"
    DITERAPKAN = "diterapkan", "Diterapkan"
    DIBATALKAN = "dibatalkan", "Dibatalkan (revert)"
    GAGAL = "gagal", "Gagal"
    USANG = "usang", "Digantikan unggahan lain"


class JobStatus(LabelledEnum):
    MENUNGGU = "menunggu", "Menunggu"
    BERJALAN = "berjalan", "Berjalan"
    SELESAI = "selesai", "Selesai"
    GAGAL = "gagal", "Gagal"


JOB_RUNNING = (JobStatus.MENUNGGU, JobStatus.BERJALAN)
JOB_FINISHED = (JobStatus.SELESAI, JobStatus.GAGAL)


class JobKind(StrEnum):
    ANALISIS = "analisis"
    TERAPKAN = "terapkan"
    BATALKAN = "batalkan"
    CLI = "cli"  # a whole `flask refresh import` run


class Entity(StrEnum):
    """What a refresh_change or refresh_decision row is about."""

    PERSON = "person"
    HOUSEHOLD = "household"
    ENROLLMENT = "enrollment"


class ChangeAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"


class ConflictChoice(LabelledEnum):
    SURVEI = "survei", "Pertahankan hasil survei"
    KELURAHAN = "kelurahan", "Pakai data kelurahan"


REFRESH_STATUSES = RefreshStatus.labels()
JOB_STATUSES = JobStatus.labels()
CONFLICT_CHOICES = ConflictChoice.labels()


class Refresh(db.Model):
    """One imported extract from one source, from upload to commit (or revert)."""

    __tablename__ = "refresh"
    __table_args__ = (sa.Index("ix_refresh_kelurahan_source", "kelurahan_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"))
    source: Mapped[str] = mapped_column(sa.String(48))
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_path: Mapped[str] = mapped_column(sa.String(255), default="")
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    # A hash of the accepted rows' content, so a re-saved but identical file is recognised.
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # Its staged rows have ids in this range (another staging may have interleaved).
    first_row_id: Mapped[int | None]
    last_row_id: Mapped[int | None]
    complete: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[str] = mapped_column(sa.String(12), default=RefreshStatus.PEMETAAN)
    mapping: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    layout: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    counts: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    conflict_default: Mapped[str] = mapped_column(sa.String(10), default=ConflictChoice.SURVEI)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # When its rows were last matched with the registry (the preview describes that moment).
    analysed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    committed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # When the commit became visible (taken last, under the kelurahan lock); the records it
    # created and changed carry records_stamped_at, taken first under the same lock.
    committed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    records_stamped_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reverted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    committed_by: Mapped[User | None] = relationship(foreign_keys=[committed_by_id])

    @property
    def status_label(self) -> str:
        return REFRESH_STATUSES.get(self.status, self.status)


class RefreshRow(db.Model):
    """One data row of an imported file: parsed values, or why it was rejected."""

    __tablename__ = "refresh_row"
    # No index on refresh_id: a refresh's rows are read as the range of ids its staging
    # recorded (Refresh.first_row_id..last_row_id), and a million rows stream in faster
    # without a second b-tree to keep.

    id: Mapped[int] = mapped_column(primary_key=True)
    refresh_id: Mapped[int] = mapped_column(sa.ForeignKey("refresh.id", ondelete="CASCADE"))
    sheet: Mapped[str] = mapped_column(sa.String(60), default="")
    row_number: Mapped[int]  # data row, 1-based, within its sheet
    nik: Mapped[str | None] = mapped_column(sa.String(16))
    kk: Mapped[str | None] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    sex: Mapped[str | None] = mapped_column(sa.String(1))
    birth_date: Mapped[date | None]
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    rt_id: Mapped[int | None]
    programs: Mapped[str] = mapped_column(sa.String(120), default="")  # ",PKH,BST,"
    desil: Mapped[int | None] = mapped_column(sa.SmallInteger)
    error: Mapped[str | None] = mapped_column(sa.Text)
    raw: Mapped[list[Any] | None] = mapped_column(sa.JSON)  # original cells, rejected rows
    person_id: Mapped[int | None]
    household_id: Mapped[int | None]
    skip: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The first accepted row of its KK: the household's address and RT come from it.
    is_first: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class RefreshChange(db.Model):
    """A record a committed refresh created or changed, with its previous values."""

    __tablename__ = "refresh_change"
    __table_args__ = (sa.Index("ix_refresh_change_refresh_entity", "refresh_id", "entity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    refresh_id: Mapped[int] = mapped_column(sa.ForeignKey("refresh.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(sa.String(12))  # person / household / enrollment
    entity_id: Mapped[int]
    # create: the records entity_id..last_entity_id (one range per commit and kind) that
    # carry the refresh's commit time; update: entity_id alone, with its previous values.
    last_entity_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(sa.String(8))  # create / update
    old_name: Mapped[str | None] = mapped_column(sa.String(120))
    old_sex: Mapped[str | None] = mapped_column(sa.String(1))
    old_birth_date: Mapped[date | None]
    old_household_id: Mapped[int | None]
    old_address: Mapped[str | None] = mapped_column(sa.String(255))
    old_rt_id: Mapped[int | None]
    old_status: Mapped[str | None] = mapped_column(sa.String(12))
    old_status_reason: Mapped[str | None] = mapped_column(sa.String(255))
    old_status_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # So a revert puts the record's updated_at back too, and an earlier refresh stays revertible.
    old_updated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class RefreshDigest(db.Model):
    """What a refresh staged, row by row, for the next file of its source to compare with.

    Three aligned arrays of unsigned 64-bit integers (native byte order): the digest of
    each accepted row's mapped cells, its NIK and its KK number. A re-import whose rows
    mostly match stages only the families with a changed row (nutera/refresh/incremental.py).
    """

    __tablename__ = "refresh_digest"

    refresh_id: Mapped[int] = mapped_column(
        sa.ForeignKey("refresh.id", ondelete="CASCADE"), primary_key=True
    )
    # The refresh this one was staged against (its unchanged rows were not staged), if any.
    previous_id: Mapped[int | None]
    # A hash of the mapping and the checks' context (RTs, programs, date order): rows staged
    # under another context may not be valid under this one.
    context: Mapped[str] = mapped_column(sa.String(64))
    rows: Mapped[int] = mapped_column(default=0)
    digests: Mapped[bytes] = mapped_column(sa.LargeBinary)
    niks: Mapped[bytes] = mapped_column(sa.LargeBinary)
    kks: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # An upload's one read of the file against the previous digests (incremental.Scan),
    # kept for its analysis until staging replaces it with the digests above.
    scan: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class RefreshDecision(db.Model):
    """Staff choice for one conflicting field: keep the verified survey or take the file."""

    __tablename__ = "refresh_decision"
    __table_args__ = (sa.UniqueConstraint("refresh_id", "entity", "entity_id", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    refresh_id: Mapped[int] = mapped_column(sa.ForeignKey("refresh.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(sa.String(12))
    entity_id: Mapped[int]
    field: Mapped[str] = mapped_column(sa.String(20))
    choice: Mapped[str] = mapped_column(sa.String(10))


class RefreshJob(db.Model):
    """Background work on a refresh, polled by the page for its progress."""

    __tablename__ = "refresh_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(sa.ForeignKey("kelurahan.id"), index=True)
    refresh_id: Mapped[int] = mapped_column(
        sa.ForeignKey("refresh.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12))  # analisis / terapkan / batalkan
    lock_key: Mapped[str] = mapped_column(sa.String(80))
    status: Mapped[str] = mapped_column(sa.String(10), default=JobStatus.MENUNGGU)
    progress: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Who runs it ("host:pid:start-ticks") and when it last said it was alive: a job whose
    # process is gone, or whose heartbeat stopped, is failed and its lock released.
    worker: Mapped[str | None] = mapped_column(sa.String(120))
    heartbeat_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class RefreshLock(db.Model):
    """Held while a job works on one source of one kelurahan; the primary key serialises."""

    __tablename__ = "refresh_lock"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    job_id: Mapped[int]
    acquired_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
