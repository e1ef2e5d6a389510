"""Apply a previewed refresh to the registry in one transaction.

Previous values go to refresh_change before each bulk statement, so a revert restores
every record the refresh touched. The caller commits once (or rolls back on any error).
"""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera import changes
from nutera.audit import Actor, audit_bulk
from nutera.city import figures as city_figures
from nutera.equity import snapshots as equity_snapshots
from nutera.models import (
    ENROLLED,
    AidProgram,
    EnrollmentStatus,
    Kelurahan,
    PersonStatus,
    Refresh,
    Residence,
)
from nutera.models.api import ChangeKind
from nutera.refresh import diff, incremental
from nutera.refresh.kelurahan_lock import lock_for_writing
from nutera.refresh.revert import created_by, updated_by
from nutera.refresh.staging import tune_connection
from nutera.refresh.states import (
    ChangeAction,
    Entity,
    Progress,
    RefreshStateError,
    RefreshStatus,
    no_progress,
    require_preview,
)
from nutera.refresh.tables import CHANGE, ENROLLMENT, HOUSEHOLD, PERSON, ROW
from nutera.timeutil import as_utc, local_today, utcnow

__all__ = ["RefreshStateError", "commit_refresh"]


def _inserted(session: Session, insert: sa.Insert) -> int:
    """Run an INSERT ... SELECT and answer how many rows it inserted."""
    # SQLAlchemy keeps the row count of an INSERT only when asked.
    return session.execute(insert, execution_options={"preserve_rowcount": True}).rowcount


def _insert_created(
    session: Session,
    refresh: Refresh,
    table: sa.Table,
    entity: str,
    insert: sa.Insert,
    applied: Counter,
) -> None:
    """Run an INSERT ... SELECT of new records and record their ids for revert as one range."""
    before = session.scalar(sa.select(sa.func.max(table.c.id))) or 0
    created = _inserted(session, insert)
    if not created:
        return
    last = session.scalar(sa.select(sa.func.max(table.c.id)))
    session.execute(
        sa.insert(CHANGE).values(
            refresh_id=refresh.id,
            entity=entity,
            action=ChangeAction.CREATE,
            entity_id=before + 1,
            last_entity_id=last,
        )
    )
    applied[entity] += created


def _record_updates(session: Session, entity: str, insert: sa.Insert, applied: Counter) -> None:
    """Run an INSERT ... SELECT of previous values into refresh_change and count them."""
    applied[entity] += _inserted(session, insert)


def _matched(session: Session, refresh: Refresh) -> tuple[bool, bool]:
    """Whether accepted rows matched registered persons, and households."""
    # A first import matches none: the passes comparing and updating them would find nothing.
    persons, households = session.execute(
        sa.select(sa.func.count(ROW.c.person_id), sa.func.count(ROW.c.household_id)).where(
            diff.valid_rows(refresh.id)
        )
    ).one()
    return persons > 0, households > 0


def _update_households(session: Session, refresh: Refresh, since, now, applied: Counter) -> None:
    """Record and apply the file's address and RT/RW of matched households."""
    first = diff.first_rows(refresh)
    _record_updates(
        session,
        Entity.HOUSEHOLD,
        sa.insert(CHANGE).from_select(
            [
                "refresh_id",
                "entity",
                "entity_id",
                "action",
                "old_address",
                "old_rt_id",
                "old_updated_at",
            ],
            sa.select(
                sa.literal(refresh.id),
                sa.literal(Entity.HOUSEHOLD, sa.String),
                HOUSEHOLD.c.id,
                sa.literal(ChangeAction.UPDATE, sa.String),
                HOUSEHOLD.c.address,
                HOUSEHOLD.c.rt_id,
                HOUSEHOLD.c.updated_at,
            )
            .select_from(HOUSEHOLD.join(ROW, ROW.c.household_id == HOUSEHOLD.c.id))
            .where(first, diff.household_changes(refresh)),
        ),
        applied,
    )
    for field in diff.household_fields(refresh):
        session.execute(
            sa.update(HOUSEHOLD)
            .where(
                ROW.c.household_id == HOUSEHOLD.c.id,
                first,
                diff.household_field_changed(field),
                diff.take_file_value(
                    refresh,
                    Entity.HOUSEHOLD,
                    HOUSEHOLD.c.id,
                    field,
                    HOUSEHOLD.c.verified_at,
                    since,
                ),
            )
            .values({field: ROW.c[field], "updated_at": now})
        )


def _insert_households(session: Session, refresh: Refresh, now, applied: Counter) -> None:
    """Create the households of the file's new KK numbers."""
    first = diff.first_rows(refresh)
    kode_pos = session.scalar(
        sa.select(Kelurahan.kode_pos).where(Kelurahan.id == refresh.kelurahan_id)
    )
    new_households = sa.and_(first, ROW.c.household_id.is_(None))
    _insert_created(
        session,
        refresh,
        HOUSEHOLD,
        Entity.HOUSEHOLD,
        sa.insert(HOUSEHOLD).from_select(
            [
                "kelurahan_id",
                "rt_id",
                "kk_number",
                "address",
                "kode_pos",
                "created_at",
                "updated_at",
                "refresh_confirmed_at",
            ],
            # Confirmed by the refresh that creates it: the equity hook's renewal of the
            # file's households then leaves them alone (a second write of each row).
            sa.select(
                sa.literal(refresh.kelurahan_id),
                ROW.c.rt_id,
                ROW.c.kk,
                ROW.c.address,
                sa.literal(kode_pos),
                sa.literal(now, HOUSEHOLD.c.created_at.type),
                sa.literal(now, HOUSEHOLD.c.updated_at.type),
                sa.literal(now, HOUSEHOLD.c.refresh_confirmed_at.type),
            ).where(new_households),
        ),
        applied,
    )


def _household_of_row():
    """The id of the household with the staged row's KK number."""
    return sa.select(HOUSEHOLD.c.id).where(HOUSEHOLD.c.kk_number == ROW.c.kk).scalar_subquery()


def _person_of_row():
    """The id of the registered person with the staged row's NIK."""
    return sa.select(PERSON.c.id).where(PERSON.c.nik == ROW.c.nik).scalar_subquery()


def _update_persons(session: Session, refresh: Refresh, since, now, applied: Counter) -> None:
    """Record and apply the file's values of matched persons, conflicts as decided."""
    # Matched persons moving to a new KK need its id for the field comparison; new persons
    # look theirs up while being inserted.
    session.execute(
        sa.update(ROW)
        .where(
            diff.valid_rows(refresh.id), ROW.c.household_id.is_(None), ROW.c.person_id.is_not(None)
        )
        .values(household_id=_household_of_row())
    )
    matched = diff.valid_rows(refresh.id), ROW.c.person_id == PERSON.c.id
    any_change = sa.or_(*(diff.person_field_changed(f) for f in diff.PERSON_FIELDS))
    _record_updates(
        session,
        Entity.PERSON,
        sa.insert(CHANGE).from_select(
            [
                "refresh_id",
                "entity",
                "entity_id",
                "action",
                "old_name",
                "old_sex",
                "old_birth_date",
                "old_household_id",
                "old_updated_at",
            ],
            sa.select(
                sa.literal(refresh.id),
                sa.literal(Entity.PERSON, sa.String),
                PERSON.c.id,
                sa.literal(ChangeAction.UPDATE, sa.String),
                PERSON.c.name,
                PERSON.c.sex,
                PERSON.c.birth_date,
                PERSON.c.household_id,
                PERSON.c.updated_at,
            )
            .select_from(PERSON.join(ROW, ROW.c.person_id == PERSON.c.id))
            .where(diff.valid_rows(refresh.id), any_change),
        ),
        applied,
    )
    # One UPDATE ... FROM for all fields; a conflicting field keeps its value unless chosen.
    values = {
        field: sa.case(
            (
                sa.and_(
                    diff.person_field_changed(field),
                    diff.take_file_value(
                        refresh, Entity.PERSON, PERSON.c.id, field, PERSON.c.verified_at, since
                    ),
                ),
                ROW.c[field],
            ),
            else_=PERSON.c[field],
        )
        for field in diff.PERSON_FIELDS
    }
    session.execute(
        sa.update(PERSON).where(*matched, any_change).values({**values, "updated_at": now})
    )


# A bulk insert adding at least this many rows, and as many as the table holds, builds the
# table's plain indexes afterwards on SQLite (see _indexes_built_after).
BULK_INDEX_ROWS = 50_000


@contextmanager
def _indexes_built_after(session: Session, table: sa.Table, adding: int) -> Iterator[None]:
    """SQLite: drop the table's non-unique indexes for an insert of many rows, create them
    again after it, in the same transaction (nothing else sees the table without them).

    A million new persons cost ~1.5-2 s less: each index is built in one sorted pass instead
    of taking a million inserts in random order. Unique indexes stay (they check the insert).
    PostgreSQL is left alone: DROP INDEX would lock every reader of the table out until the
    commit (the lookup reads person)."""
    if session.connection().dialect.name != "sqlite" or adding < BULK_INDEX_ROWS:
        yield
        return
    present = session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
    if adding < present:
        yield
        return
    indexes = session.execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :table "
            "AND sql IS NOT NULL AND upper(sql) NOT LIKE 'CREATE UNIQUE%'"
        ),
        {"table": table.name},
    ).all()
    for name, _ in indexes:
        session.execute(sa.text(f'DROP INDEX "{name}"'))
    yield
    for _, sql in indexes:
        session.execute(sa.text(sql))


def _insert_persons(session: Session, refresh: Refresh, now, applied: Counter) -> None:
    """Create the persons of the file's new NIKs."""
    new_rows = sa.and_(diff.valid_rows(refresh.id), ROW.c.person_id.is_(None))
    with _indexes_built_after(session, PERSON, (refresh.counts or {}).get("persons_new", 0)):
        _insert_new_persons(session, refresh, now, applied, new_rows)


def _insert_new_persons(session: Session, refresh: Refresh, now, applied: Counter, new_rows):
    _insert_created(
        session,
        refresh,
        PERSON,
        Entity.PERSON,
        sa.insert(PERSON).from_select(
            [
                "kelurahan_id",
                "household_id",
                "nik",
                "name",
                "sex",
                "birth_date",
                "relation",
                "status",
                "is_asn_tni_polri",
                "has_ktp",
                "residence",
                "created_at",
                "updated_at",
            ],
            sa.select(
                sa.literal(refresh.kelurahan_id),
                sa.func.coalesce(ROW.c.household_id, _household_of_row()),
                ROW.c.nik,
                ROW.c.name,
                ROW.c.sex,
                ROW.c.birth_date,
                sa.literal("lainnya"),
                sa.literal(PersonStatus.HIDUP, sa.String),
                sa.false(),
                sa.true(),
                sa.literal(Residence.TETAP, sa.String),
                sa.literal(now, PERSON.c.created_at.type),
                sa.literal(now, PERSON.c.updated_at.type),
            ).where(new_rows),
        ),
        applied,
    )


def _apply_enrollments(session: Session, refresh: Refresh, now, applied: Counter) -> None:
    if not refresh.mapping.get("programs"):
        return
    reason = f"Tidak tercantum lagi di {refresh.source} ({refresh.filename})"
    programs = list(
        session.scalars(
            sa.select(AidProgram).where(
                AidProgram.kelurahan_id == refresh.kelurahan_id, AidProgram.active.is_(True)
            )
        )
    )
    for program in programs:
        # Only the previous values are recorded here; ending them all at once below reads
        # that list instead of comparing every staged row with the enrollments again.
        # Rows of households and persons this commit created have no id in refresh_row:
        # they had no enrollment to end, and the additions look their ids up.
        ending = diff.enrollments_to_end(refresh, program, diff.is_postgres(session))
        _record_updates(
            session,
            Entity.ENROLLMENT,
            sa.insert(CHANGE).from_select(
                [
                    "refresh_id",
                    "entity",
                    "entity_id",
                    "action",
                    "old_status",
                    "old_status_reason",
                    "old_status_changed_at",
                    "old_updated_at",
                ],
                sa.select(
                    sa.literal(refresh.id),
                    sa.literal(Entity.ENROLLMENT, sa.String),
                    ENROLLMENT.c.id,
                    sa.literal(ChangeAction.UPDATE, sa.String),
                    ENROLLMENT.c.status,
                    ENROLLMENT.c.status_reason,
                    ENROLLMENT.c.status_changed_at,
                    ENROLLMENT.c.updated_at,
                ).where(ENROLLMENT.c.id.in_(ending)),
            ),
            applied,
        )
        key, column = diff.beneficiary_column(program)
        of_row = _household_of_row() if key == "household_id" else _person_of_row()
        # DISTINCT inside keeps SQLite from flattening the subquery, which would look each
        # row's id up again for every place the outer query names it.
        listed = (
            sa.select(sa.func.coalesce(column, of_row).label("beneficiary"))
            .where(diff.valid_rows(refresh.id), diff.programs_listed(refresh, program))
            .distinct()
            .subquery("listed")
        )
        active = sa.select(ENROLLMENT.c.id).where(
            ENROLLMENT.c.program_id == program.id,
            ENROLLMENT.c[key] == listed.c.beneficiary,
            ENROLLMENT.c.status.in_(ENROLLED),
        )
        _insert_created(
            session,
            refresh,
            ENROLLMENT,
            Entity.ENROLLMENT,
            sa.insert(ENROLLMENT).from_select(
                [
                    "kelurahan_id",
                    "program_id",
                    key,
                    "period_start",
                    "status",
                    "status_reason",
                    "created_at",
                    "updated_at",
                ],
                sa.select(
                    sa.literal(refresh.kelurahan_id),
                    sa.literal(program.id),
                    listed.c.beneficiary,
                    sa.literal(local_today(session.get(Kelurahan, refresh.kelurahan_id))),
                    sa.literal(EnrollmentStatus.AKTIF, sa.String),
                    sa.literal(""),
                    sa.literal(now, ENROLLMENT.c.created_at.type),
                    sa.literal(now, ENROLLMENT.c.updated_at.type),
                ).where(listed.c.beneficiary.is_not(None), ~sa.exists(active)),
            ),
            applied,
        )
    # Ending one program's enrollments changes nothing another program's statements read,
    # and the ones added above are never among them (their beneficiaries are listed).
    session.execute(
        sa.update(ENROLLMENT)
        .where(
            ENROLLMENT.c.id.in_(
                sa.select(CHANGE.c.entity_id).where(
                    CHANGE.c.refresh_id == refresh.id,
                    CHANGE.c.entity == Entity.ENROLLMENT,
                    CHANGE.c.action == ChangeAction.UPDATE,
                )
            )
        )
        .values(
            status=EnrollmentStatus.BERAKHIR,
            status_reason=reason[:255],
            status_changed_at=now,
            updated_at=now,
        )
    )


FEED_KINDS = (
    (Entity.HOUSEHOLD, HOUSEHOLD, ChangeKind.HOUSEHOLD),
    (Entity.PERSON, PERSON, ChangeKind.PERSON),
    (Entity.ENROLLMENT, ENROLLMENT, ChangeKind.ENROLLMENT),
)


def record_feed(session: Session, refresh: Refresh, now) -> None:
    """The change feed's entries for what the commit created and changed, set-based (its
    bulk statements bypass the ORM's hook)."""
    for entity, table, kind in FEED_KINDS:
        created = sa.select(table.c.id, table.c.kelurahan_id).where(
            created_by(session, refresh, table, entity)
        )
        changes.record_bulk(session, kind, "create", created)
        changes.record_bulk(session, kind, "update", updated_by(refresh, table, entity, now))


def _left_out_niks(session: Session, refresh: Refresh) -> list[str]:
    """NIKs of rows accepted when staged but not committed (skipped, or refused after)."""
    return list(
        session.scalars(
            sa.select(ROW.c.nik).where(
                diff.staged(refresh.id),
                sa.or_(
                    ROW.c.skip.is_(True), sa.and_(ROW.c.error.is_not(None), ROW.c.raw.is_(None))
                ),
            )
        )
    )


def commit_refresh(
    session: Session, refresh: Refresh, actor: Actor, progress: Progress = no_progress
) -> dict:
    """Write a previewed refresh to the registry; the caller commits the transaction.

    Holds the kelurahan's write lock until then: a commit or revert of another source waits,
    then finds the registry changed since its preview and is refused."""
    session.flush()
    lock_for_writing(session, refresh.kelurahan_id)
    session.refresh(refresh)
    require_preview(refresh)
    now = utcnow()  # after the lock: later than every earlier commit's visible time
    tune_connection(session)
    changed = diff.registry_changed_at(session, refresh)
    if changed is not None and changed > as_utc(refresh.analysed_at or refresh.created_at):
        # Its matches, conflicts and counts describe a registry that is gone.
        raise RefreshStateError(
            "Registri sudah berubah sejak pratinjau ini dibuat (pemutakhiran lain diterapkan "
            "atau dibatalkan). Jalankan analisis lagi lewat Ubah pemetaan, periksa "
            "pratinjaunya, lalu terapkan."
        )
    since = diff.last_refresh_at(session, refresh.kelurahan_id, before=refresh)
    applied: Counter = Counter()
    persons_matched, households_matched = _matched(session, refresh)
    progress(0.1, "Memperbarui KK")
    if households_matched:
        _update_households(session, refresh, since, now, applied)
    _insert_households(session, refresh, now, applied)
    progress(0.4, "Memperbarui warga")
    if persons_matched:
        _update_persons(session, refresh, since, now, applied)
    _insert_persons(session, refresh, now, applied)
    progress(0.8, "Memperbarui kepesertaan program")
    _apply_enrollments(session, refresh, now, applied)
    refresh.status, refresh.records_stamped_at = RefreshStatus.DITERAPKAN, now
    refresh.committed_by_id = actor.user_id
    refresh.counts = {
        **refresh.counts,
        "applied": {
            entity: applied[entity]
            for entity in (Entity.HOUSEHOLD, Entity.PERSON, Entity.ENROLLMENT)
            if applied[entity]
        },
    }
    session.flush()
    incremental.confirm_unchanged(session, refresh, now)
    equity_snapshots.after_refresh_commit(session, refresh, now)
    city_figures.recount(session, now, [refresh.kelurahan_id])  # the overview's counts
    record_feed(session, refresh, now)
    incremental.after_commit(session, refresh, _left_out_niks(session, refresh))
    # The staged copy of accepted rows is no longer needed; rejected rows stay for the export.
    session.execute(sa.delete(ROW).where(diff.valid_rows(refresh.id)))
    audit_bulk(
        session,
        actor,
        "refresh",
        "refresh",
        refresh.id,
        refresh.kelurahan_id,
        {
            "source": refresh.source,
            "filename": refresh.filename,
            "sha256": refresh.sha256,
            "counts": refresh.counts,
        },
    )
    # Taken last, still under the lock: the time it becomes visible, give or take the COMMIT.
    refresh.committed_at = utcnow()
    session.flush()
    progress(1.0, "Selesai diterapkan")
    return refresh.counts
