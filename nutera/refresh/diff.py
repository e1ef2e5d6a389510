"""The difference between a staged extract and the registry, as set-based SQL.

Every function here builds or runs one statement over refresh_row joined to the registry;
nothing is loaded row by row. Preview counts, drill-down lists and the commit share them.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import ENROLLED, AidProgram, PersonStatus, Refresh, Target
from nutera.refresh.states import RefreshStatus
from nutera.refresh.tables import DECISION, ENROLLMENT, HOUSEHOLD, PERSON, REFRESH, ROW
from nutera.timeutil import as_utc

PERSON_FIELDS = {
    "name": "Nama",
    "sex": "Jenis kelamin",
    "birth_date": "Tanggal lahir",
    "household_id": "Pindah KK",
}
HOUSEHOLD_FIELDS = {"address": "Alamat", "rt_id": "RT/RW"}


def staged(refresh_id: int) -> sa.ColumnElement[bool]:
    """Rows staged for this refresh: the id range its staging recorded, read along the key."""
    # refresh_id tells apart rows another staging interleaved into the range.
    bounds = sa.select(REFRESH.c.first_row_id, REFRESH.c.last_row_id).where(
        REFRESH.c.id == refresh_id
    )
    return sa.and_(
        ROW.c.refresh_id == refresh_id,
        ROW.c.id.between(
            bounds.with_only_columns(REFRESH.c.first_row_id).scalar_subquery(),
            bounds.with_only_columns(REFRESH.c.last_row_id).scalar_subquery(),
        ),
    )


def rejected_in_file_order(refresh_id: int, *columns) -> sa.Select:
    """columns of the refresh's rejected rows in file order (sheets as staged, then rows)."""
    # Rows rejected after staging (another kelurahan's NIK) have later ids than their place.
    sheet_start = sa.func.min(ROW.c.id).over(partition_by=ROW.c.sheet).label("sheet_start")
    rows = (
        sa.select(*columns, ROW.c.row_number.label("file_row"), sheet_start)
        .where(staged(refresh_id), ROW.c.error.is_not(None))
        .subquery()
    )
    return sa.select(*(rows.c[i] for i in range(len(columns)))).order_by(
        rows.c.sheet_start, rows.c.file_row
    )


def valid_rows(refresh_id: int) -> sa.ColumnElement[bool]:
    """Rows of this refresh that will be imported."""
    return sa.and_(staged(refresh_id), ROW.c.error.is_(None), ROW.c.skip.is_(False))


def mark_first_rows(session: Session, refresh: Refresh, kk: str | None = None) -> None:
    """Flag the first accepted row of each KK (or of one): it carries the household's values."""
    # Staging flags them as rows stream in; this is for rows rejected or left out afterwards.
    rows = sa.and_(staged(refresh.id), ROW.c.kk == kk) if kk is not None else staged(refresh.id)
    first_ids = (
        sa.select(sa.func.min(ROW.c.id))
        .where(rows, ROW.c.error.is_(None), ROW.c.skip.is_(False))
        .group_by(ROW.c.kk)
    )
    session.execute(
        sa.update(ROW)
        .where(rows)
        .values(
            is_first=sa.and_(ROW.c.error.is_(None), ROW.c.skip.is_(False), ROW.c.id.in_(first_ids))
        )
    )


def first_rows(refresh: Refresh) -> sa.ColumnElement[bool]:
    """One row per KK (its first accepted one in the file)."""
    return sa.and_(staged(refresh.id), ROW.c.is_first.is_(True))


def _address_mapped(refresh: Refresh) -> bool:
    return bool(refresh.mapping.get("address"))


def person_field_changed(field: str) -> sa.ColumnElement[bool]:
    """The staged value of field differs from the registry's."""
    return PERSON.c[field].is_distinct_from(ROW.c[field])


def household_fields(refresh: Refresh) -> list[str]:
    """Household columns the file speaks for."""
    return ["rt_id"] + (["address"] if _address_mapped(refresh) else [])


def household_field_changed(field: str) -> sa.ColumnElement[bool]:
    return HOUSEHOLD.c[field].is_distinct_from(ROW.c[field])


def household_changes(refresh: Refresh) -> sa.ColumnElement[bool]:
    return sa.or_(*(household_field_changed(f) for f in household_fields(refresh)))


def last_refresh_at(
    session: Session, kelurahan_id: int, before: Refresh | None = None
) -> datetime | None:
    """When the registry of this kelurahan was last refreshed (other than before)."""
    query = sa.select(sa.func.max(Refresh.committed_at)).where(
        Refresh.kelurahan_id == kelurahan_id, Refresh.status == RefreshStatus.DITERAPKAN
    )
    if before is not None:
        query = query.where(Refresh.id != before.id)
    return session.scalar(query)


def registry_changed_at(session: Session, refresh: Refresh) -> datetime | None:
    """When another refresh of this kelurahan last changed the registry (commit or revert)."""
    moments = session.execute(
        sa.select(sa.func.max(Refresh.committed_at), sa.func.max(Refresh.reverted_at)).where(
            Refresh.kelurahan_id == refresh.kelurahan_id, Refresh.id != refresh.id
        )
    ).one()
    return max((as_utc(moment) for moment in moments if moment), default=None)


def verified_since(column: sa.Column, since: datetime | None) -> sa.ColumnElement[bool]:
    """The record was confirmed by a verified survey after the last refresh."""
    condition = column.is_not(None)
    return sa.and_(condition, column > since) if since is not None else condition


def take_file_value(
    refresh: Refresh, entity: str, id_column, field: str, verified_column, since
) -> sa.ColumnElement[bool]:
    """Whether the file's value of field may overwrite: no conflict, or staff chose the file."""
    chosen = (
        sa.select(DECISION.c.choice)
        .where(
            DECISION.c.refresh_id == refresh.id,
            DECISION.c.entity == entity,
            DECISION.c.entity_id == id_column,
            DECISION.c.field == field,
        )
        .scalar_subquery()
    )
    return sa.or_(
        sa.not_(verified_since(verified_column, since)),
        sa.func.coalesce(chosen, refresh.conflict_default) == "kelurahan",
    )


def programs_listed(refresh: Refresh, program: AidProgram) -> sa.ColumnElement[bool]:
    return ROW.c.programs.like(f"%,{program.code.upper()},%")


def _program_rows(session: Session, refresh: Refresh) -> list[AidProgram]:
    return list(
        session.scalars(
            sa.select(AidProgram).where(
                AidProgram.kelurahan_id == refresh.kelurahan_id, AidProgram.active.is_(True)
            )
        )
    )


def beneficiary_column(program: AidProgram):
    return (
        ("household_id", ROW.c.household_id)
        if program.target == Target.HOUSEHOLD
        else ("person_id", ROW.c.person_id)
    )


def enrollments_to_add(refresh: Refresh, program: AidProgram) -> sa.Select:
    """Distinct staged beneficiaries listed for program without an active enrollment."""
    key, column = beneficiary_column(program)
    active = sa.select(ENROLLMENT.c.id).where(
        ENROLLMENT.c.program_id == program.id,
        ENROLLMENT.c[key] == column,
        ENROLLMENT.c.status.in_(ENROLLED),
    )
    group = ROW.c.kk if key == "household_id" else ROW.c.nik
    return (
        sa.select(group)
        .where(
            valid_rows(refresh.id),
            programs_listed(refresh, program),
            sa.or_(column.is_(None), ~sa.exists(active)),
        )
        .group_by(group)
    )


def excluded(column, candidates: sa.Select, postgres: bool) -> sa.ColumnElement[bool]:
    """column NOT among candidates, in the form each planner runs as a hashed anti-join:
    NOT EXISTS for PostgreSQL (its NOT IN over a big subquery goes row by row), NOT IN
    for SQLite (which builds a temporary index for it)."""
    if postgres:
        return ~sa.exists(candidates.where(candidates.selected_columns[0] == column))
    return column.not_in(candidates)


def enrollments_to_end(refresh: Refresh, program: AidProgram, postgres: bool = False) -> sa.Select:
    """Active enrollments of beneficiaries in the file that the file no longer lists."""
    key, column = beneficiary_column(program)
    in_file = sa.select(column).where(valid_rows(refresh.id), column.is_not(None))
    listed = sa.select(column).where(
        valid_rows(refresh.id), column.is_not(None), programs_listed(refresh, program)
    )
    return sa.select(ENROLLMENT.c.id).where(
        ENROLLMENT.c.program_id == program.id,
        ENROLLMENT.c.status.in_(ENROLLED),
        ENROLLMENT.c[key].in_(in_file),
        excluded(ENROLLMENT.c[key], listed, postgres),
    )


def absent_persons(refresh: Refresh, postgres: bool = False) -> sa.Select:
    """Living persons of the kelurahan missing from the extract (only within its KKs unless
    the file is the complete population)."""
    in_file = sa.select(ROW.c.person_id).where(staged(refresh.id), ROW.c.person_id.is_not(None))
    if refresh.complete:
        scope = PERSON.c.kelurahan_id == refresh.kelurahan_id
    else:
        # Read through the household index: a re-import that staged a few families reads
        # only theirs. (Staged rows' households are the kelurahan's: others are refused.)
        scope = PERSON.c.household_id.in_(
            sa.select(ROW.c.household_id).where(
                valid_rows(refresh.id), ROW.c.household_id.is_not(None)
            )
        )
    return sa.select(PERSON.c.id).where(
        scope,
        PERSON.c.status == PersonStatus.HIDUP,
        excluded(PERSON.c.id, in_file, postgres),
    )


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def same_name_and_birth(refresh: Refresh) -> sa.Select:
    """New rows whose name and birth date belong to a person with another NIK."""
    new_rows = sa.and_(valid_rows(refresh.id), ROW.c.person_id.is_(None))
    # First the (few) registry persons sharing a name and birth date with a new row, found
    # in one pass with a row-value IN; then pair them with the rows. person has no index on
    # (name, birth_date), and joining directly would scan it once per new row.
    candidates = (
        sa.select(PERSON.c.id, PERSON.c.name, PERSON.c.birth_date, PERSON.c.nik)
        .where(
            PERSON.c.kelurahan_id == refresh.kelurahan_id,
            sa.tuple_(PERSON.c.name, PERSON.c.birth_date).in_(
                sa.select(ROW.c.name, ROW.c.birth_date).where(new_rows)
            ),
        )
        .subquery("candidate")
    )
    return (
        sa.select(ROW.c.id.label("row_id"), candidates.c.id.label("person_id"))
        .join(
            candidates,
            sa.and_(
                candidates.c.name == ROW.c.name,
                candidates.c.birth_date == ROW.c.birth_date,
                candidates.c.nik != ROW.c.nik,
            ),
        )
        .where(new_rows)
    )


def same_nik_other_name(refresh: Refresh) -> sa.Select:
    """Rows whose NIK is registered under a different name."""
    return (
        sa.select(ROW.c.id.label("row_id"), PERSON.c.id.label("person_id"))
        .join(PERSON, PERSON.c.id == ROW.c.person_id)
        .where(staged(refresh.id), ROW.c.error.is_(None), PERSON.c.name != ROW.c.name)
    )


def same_name_in_file(refresh: Refresh) -> sa.Select:
    """(name, birth date) pairs appearing under more than one NIK in the file itself."""
    return _same_name_groups(
        refresh,
        sa.func.min(ROW.c.name).label("name"),
        sa.func.min(ROW.c.birth_date).label("birth_date"),
    )


def _same_name_groups(refresh: Refresh, *columns) -> sa.Select:
    """columns of each (name, birth date) group of more than one accepted row."""
    # One text key sorts faster than the pair (a third less at 1M rows); the date's text
    # has a fixed length, so no two pairs share a key. Accepted rows carry distinct NIKs
    # (staging rejects a NIK's second row), so two rows are two NIKs.
    key = sa.cast(ROW.c.birth_date, sa.String) + ROW.c.name
    return (
        sa.select(*columns).where(valid_rows(refresh.id)).group_by(key).having(sa.func.count() > 1)
    )


def _count(session: Session, query: sa.Select) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def conflict_filter(field: str, since) -> sa.ColumnElement[bool]:
    return sa.and_(person_field_changed(field), verified_since(PERSON.c.verified_at, since))


def preview_counts(session: Session, refresh: Refresh, unchanged: dict | None = None) -> dict:
    """Every figure the preview page shows first, computed with a few aggregate queries.

    unchanged: for an incremental import, the file's rows and how many of them were left
    unstaged as unchanged (kept from the last analysis when not given)."""
    rid = refresh.id
    if unchanged is None:
        previous = refresh.counts or {}
        unchanged = (
            {"rows": previous["rows"], "unchanged": previous["unchanged"]}
            if previous.get("unchanged") is not None
            else {}
        )
    since = last_refresh_at(session, refresh.kelurahan_id, before=refresh)
    # One pass over the rows counts them, and every field change and conflict of the
    # accepted rows that match a person.
    valid = sa.and_(ROW.c.error.is_(None), ROW.c.skip.is_(False))
    matched = sa.and_(valid, PERSON.c.id.is_not(None))

    def matched_count(condition):
        return sa.func.count(sa.case((sa.and_(matched, condition), 1)))

    measures = [
        sa.func.count(),
        sa.func.count(ROW.c.error),
        sa.func.count(sa.case((sa.and_(valid, ROW.c.person_id.is_(None)), 1))),
        sa.func.count(ROW.c.person_id),
        sa.func.count(ROW.c.household_id),
    ]
    measures += [matched_count(person_field_changed(f)) for f in PERSON_FIELDS]
    measures.append(matched_count(sa.or_(*(person_field_changed(f) for f in PERSON_FIELDS))))
    measures.append(matched_count(sa.or_(*(conflict_filter(f, since) for f in PERSON_FIELDS))))
    result = session.execute(
        sa.select(*measures)
        .select_from(ROW.outerjoin(PERSON, PERSON.c.id == ROW.c.person_id))
        .where(staged(rid))
    ).one()
    totals, figures = result[:5], result[5:]
    # Rows matching no registered person or household (a first import): nothing of theirs
    # can be absent from the file or lose an enrollment.
    matched_any = bool(totals[3] or totals[4])
    person_counts = dict(zip(PERSON_FIELDS, figures[: len(PERSON_FIELDS)], strict=False))
    person_changed, person_conflicts = figures[-2:]
    # One pass over the first row of each KK: new, changed and conflicting households.
    matched = sa.and_(HOUSEHOLD.c.id.is_not(None), household_changes(refresh))
    households_new, households_changed, household_conflicts = session.execute(
        sa.select(
            sa.func.count(sa.case((ROW.c.household_id.is_(None), 1))),
            sa.func.count(sa.case((matched, 1))),
            sa.func.count(
                sa.case((sa.and_(matched, verified_since(HOUSEHOLD.c.verified_at, since)), 1))
            ),
        )
        .select_from(ROW.outerjoin(HOUSEHOLD, HOUSEHOLD.c.id == ROW.c.household_id))
        .where(first_rows(refresh))
    ).one()
    added = ended = 0
    if refresh.mapping.get("programs"):
        for program in _program_rows(session, refresh):
            added += _count(session, enrollments_to_add(refresh, program))
            if matched_any:
                ended += _count(
                    session, enrollments_to_end(refresh, program, is_postgres(session))
                )
    rows = unchanged.get("rows", totals[0])
    counts = {
        "rows": rows,
        "rejected": totals[1],
        "valid": rows - totals[1],
        "persons_new": totals[2],
        "persons_changed": person_changed,
        "fields": {f: person_counts[f] for f in PERSON_FIELDS},
        "households_new": households_new,
        "households_changed": households_changed,
        "absent": (
            _count(session, absent_persons(refresh, is_postgres(session)))
            if matched_any or refresh.complete
            else 0
        ),
        "enrollments_added": added,
        "enrollments_ended": ended,
        # Records waiting for a decision (each person or KK once, however many fields).
        "conflicts": person_conflicts + household_conflicts,
        "conflicts_persons": person_conflicts,
        "conflicts_households": household_conflicts,
        # (same_name_and_birth reads the kelurahan's persons: only when there are new rows)
        "duplicates": (_count(session, same_name_and_birth(refresh)) if totals[2] else 0)
        + _count(session, _same_name_groups(refresh, sa.literal(1)))
        + (_count(session, same_nik_other_name(refresh)) if totals[3] else 0),
    }
    if unchanged:
        counts["unchanged"] = unchanged["unchanged"]
    counts["no_change"] = not any(
        counts[k]
        for k in (
            "persons_new",
            "persons_changed",
            "households_new",
            "households_changed",
            "enrollments_added",
            "enrollments_ended",
        )
    )
    return counts
