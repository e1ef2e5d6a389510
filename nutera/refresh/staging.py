"""Upload and analysis: remember the file, stream its rows into refresh_row, match them."""

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import AidProgram, Household, Person, Refresh, RefreshRow, Rt, Rw, Setting
from nutera.models.base import utcnow
from nutera.refresh import reader, rows
from nutera.refresh.diff import mark_first_rows, preview_counts, staged
from nutera.refresh.fastpath import FastCheck
from nutera.refresh.validate import RowContext, duplicate_nik_message, sheet_code

Progress = Callable[[float, str], None]
BATCH = 5000
_MAPPING_KEY = "refresh_map:"


def _no_progress(fraction: float, message: str) -> None:
    """Progress sink for callers that do not report."""


def remembered_mapping(session: Session, kelurahan_id: int, source: str) -> dict[str, str]:
    """The column mapping confirmed for this source last time."""
    value = session.scalar(
        sa.select(Setting.value).where(
            Setting.kelurahan_id == kelurahan_id, Setting.key == _MAPPING_KEY + source
        )
    )
    return json.loads(value) if value else {}


def remember_mapping(
    session: Session, kelurahan_id: int, source: str, mapping: dict[str, str]
) -> None:
    """Keep the confirmed mapping for next week's file from the same source."""
    setting = session.scalar(
        sa.select(Setting).where(
            Setting.kelurahan_id == kelurahan_id, Setting.key == _MAPPING_KEY + source
        )
    )
    if setting is None:
        setting = Setting(kelurahan_id=kelurahan_id, key=_MAPPING_KEY + source, value="{}")
        session.add(setting)
    setting.value = json.dumps(mapping, sort_keys=True)


def known_sources(session: Session, kelurahan_id: int) -> list[str]:
    """Sources with a remembered mapping in this kelurahan."""
    keys = session.scalars(
        sa.select(Setting.key).where(
            Setting.kelurahan_id == kelurahan_id, Setting.key.startswith(_MAPPING_KEY)
        )
    )
    return sorted(k[len(_MAPPING_KEY) :] for k in keys)


def last_committed(
    session: Session, kelurahan_id: int, source: str | None = None
) -> Refresh | None:
    """The newest refresh still in force (of one source, or any)."""
    query = sa.select(Refresh).where(
        Refresh.kelurahan_id == kelurahan_id, Refresh.status == "diterapkan"
    )
    if source is not None:
        query = query.where(Refresh.source == source)
    return session.scalar(query.order_by(Refresh.committed_at.desc()).limit(1))


def identical_to_last(
    session: Session, kelurahan_id: int, source: str, sha256: str
) -> Refresh | None:
    """The last committed refresh of source when it imported exactly this file."""
    last = last_committed(session, kelurahan_id, source)
    return last if last is not None and last.sha256 == sha256 else None


def content_identical_to_last(session: Session, refresh: Refresh) -> Refresh | None:
    """The last committed refresh of the source when it staged exactly the cells of this
    file under the same mapping (a re-saved copy): read once, nothing checked or staged."""
    last = last_committed(session, refresh.kelurahan_id, refresh.source)
    if last is None or not last.content_hash or last.mapping != refresh.mapping:
        return None
    digest = rows.content_digest(refresh.stored_path, _file_info(refresh), refresh.mapping)
    return last if digest == last.content_hash else None


def new_refresh(
    session: Session,
    kelurahan_id: int,
    user_id: int | None,
    source: str,
    path: str | Path,
    filename: str,
    complete: bool = False,
) -> Refresh:
    """An unsaved refresh of an uploaded file: its layout and proposed column mapping
    (raises reader.ReadError)."""
    info = reader.inspect_file(path, filename)
    headers = info.sheets[0].headers
    refresh = Refresh(
        kelurahan_id=kelurahan_id,
        source=source,
        filename=Path(filename).name[:255],
        stored_path=str(path),
        sha256=info.sha256,
        complete=complete,
        status="pemetaan",
        created_by_id=user_id,
        layout={
            "kind": info.kind,
            "encoding": info.encoding,
            "delimiter": info.delimiter,
            "sheets": [
                {"name": s.name, "header_index": s.header_index, "headers": s.headers}
                for s in info.sheets
            ],
        },
        mapping=reader.propose_mapping(headers, remembered_mapping(session, kelurahan_id, source)),
    )
    return refresh


def create_refresh(
    session: Session,
    kelurahan_id: int,
    user_id: int | None,
    source: str,
    path: str | Path,
    filename: str,
    complete: bool = False,
) -> Refresh:
    """new_refresh, saved (raises reader.ReadError)."""
    refresh = new_refresh(session, kelurahan_id, user_id, source, path, filename, complete)
    session.add(refresh)
    session.flush()
    return refresh


def missing_fields(mapping: dict[str, str]) -> list[str]:
    """Required fields the mapping leaves out, as Indonesian labels."""
    return [reader.FIELDS[f] for f in reader.REQUIRED_FIELDS if not mapping.get(f)]


def _file_info(refresh: Refresh) -> reader.FileInfo:
    layout = refresh.layout
    return reader.FileInfo(
        kind=layout["kind"],
        sha256=refresh.sha256,
        encoding=layout.get("encoding", ""),
        delimiter=layout.get("delimiter", ""),
        sheets=[
            reader.SheetLayout(s["name"], s["header_index"], s["headers"])
            for s in layout["sheets"]
        ],
    )


def _row_context(session: Session, kelurahan_id: int) -> RowContext:
    rts = {
        (rw, rt): rt_id
        for rt_id, rt, rw in session.execute(
            sa.select(Rt.id, Rt.number, Rw.number)
            .join(Rw, Rt.rw_id == Rw.id)
            .where(Rt.kelurahan_id == kelurahan_id)
        )
    }
    programs = set(
        session.scalars(
            sa.select(AidProgram.code).where(
                AidProgram.kelurahan_id == kelurahan_id, AidProgram.active.is_(True)
            )
        )
    )
    return RowContext(columns={}, rts=rts, programs={p.upper() for p in programs})


def _count_rows(path: Path, info: reader.FileInfo) -> int:
    if info.kind == "csv":
        with open(path, "rb") as handle:
            return max(
                1, sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
            )
    return 0


CHUNK = rows.CHUNK
_ACCEPTED = (
    "refresh_id",
    "sheet",
    "row_number",
    "nik",
    "kk",
    "name",
    "sex",
    "birth_date",
    "address",
    "rt_id",
    "programs",
    "desil",
    "is_first",
)
_REJECTED = _ACCEPTED + ("error", "raw")


def stage_rows(session: Session, refresh: Refresh, progress: Progress = _no_progress) -> None:
    """Validate every row and insert it into refresh_row in batches (rejected rows too)."""
    # Plain tuples: at a million rows the ORM or per-row dicts would cost more than the checks.
    last_id = sa.select(sa.func.max(RefreshRow.id))
    # New rows get ids above the largest one now (rows of another staging may interleave).
    refresh.first_row_id = (session.scalar(last_id) or 0) + 1
    with rows.rare_garbage_collection():
        _stage(session, refresh, progress)
    refresh.last_row_id = session.scalar(last_id) or 0
    session.flush()


def _stage(session: Session, refresh: Refresh, progress: Progress) -> None:
    path = Path(refresh.stored_path)
    info = _file_info(refresh)
    ctx = _row_context(session, refresh.kelurahan_id)
    total = _count_rows(path, info)
    dates_as_text = session.connection().dialect.name == "sqlite"
    digest = reader.ContentDigest(refresh.mapping)
    first_of_kk: set[str] = set()
    seen_niks = ctx.seen_niks
    accepted: list[tuple] = []
    rejected: list[tuple] = []
    seen = 0
    refresh_id, nik_label = refresh.id, reader.FIELDS["nik"]
    fast = columns_seen = None
    for sheet, columns, numbers, chunk in rows.data_chunks(path, info, refresh.mapping, CHUNK):
        digest.add_rows(columns, chunk)
        if columns is not columns_seen:  # a new sheet
            # Its rows get ids above every row of the sheets before: lists of rejected rows
            # show the sheets in file order (accepted rows go in after rejected ones).
            _insert_rows(session, rejected, accepted)
            ctx.columns, columns_seen = columns, columns
            fast = FastCheck(ctx, dates_as_text, first_of_kk)
        fast_values, sheet_name = fast.values, sheet.name[:60]
        base = sheet_code(ctx, sheet.name)
        for number, cells in zip(numbers, chunk, strict=False):
            values = fast_values(cells)
            if values is None:
                values, errors = fast.checked(cells, number)
            else:
                errors = None
            nik = values[0]
            if nik is not None:
                code = base + number
                first = seen_niks.setdefault(int(nik), code)
                if first != code:
                    errors = [(nik_label, duplicate_nik_message(ctx, first)), *(errors or ())]
            if errors:
                rejected.append(
                    (
                        refresh_id,
                        sheet_name,
                        number,
                        *values,
                        False,
                        " | ".join(f"{column}: {message}" for column, message in errors),
                        json.dumps([c if isinstance(c, str) else reader._text(c) for c in cells]),
                    )
                )
            elif values[1] in first_of_kk:
                accepted.append((refresh_id, sheet_name, number, *values, False))
            else:
                first_of_kk.add(values[1])
                accepted.append((refresh_id, sheet_name, number, *values, True))
        seen += len(chunk)
        if len(accepted) + len(rejected) >= BATCH:
            # The connection is asked for each time: progress may have committed in between.
            _insert_rows(session, rejected, accepted)
            # A background job commits with its progress: the range covers every row it
            # committed, so analysing again after a crash deletes them all.
            refresh.last_row_id = session.scalar(sa.select(sa.func.max(RefreshRow.id)))
            progress(
                min(0.7, 0.7 * seen / total) if total else 0.35,
                f"{seen:,} baris dibaca".replace(",", "."),
            )
    _insert_rows(session, rejected, accepted)
    refresh.content_hash = digest.hexdigest()
    progress(0.7, f"{seen:,} baris dibaca; mencocokkan dengan registri".replace(",", "."))


def _insert_rows(session: Session, rejected: list[tuple], accepted: list[tuple]) -> None:
    """Insert and forget a batch of staged rows (COPY on PostgreSQL, executemany elsewhere)."""
    # COPY is several times faster on PostgreSQL. Accepted rows leave out error and raw:
    # binding two NULLs per row cost ~0.7 s at a million rows on SQLite.
    tune_connection(session)
    connection = session.connection()
    for columns, batch in ((_REJECTED, rejected), (_ACCEPTED, accepted)):
        if not batch:
            continue
        if connection.dialect.driver == "psycopg":  # COPY is psycopg 3's
            with (
                connection.connection.dbapi_connection.cursor() as cursor,
                cursor.copy(f"COPY refresh_row ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in batch:
                    copy.write_row(row)
        else:
            marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
            connection.exec_driver_sql(
                f"INSERT INTO refresh_row ({', '.join(columns)}) "
                f"VALUES ({', '.join([marker] * len(columns))})",
                batch,
            )
        batch.clear()


def match_rows(session: Session, refresh: Refresh) -> None:
    """Link staged rows to registered persons (by NIK) and households (by KK), set-based."""
    row = RefreshRow.__table__
    person, household = Person.__table__, Household.__table__
    mine = staged(refresh.id)
    # UPDATE ... FROM joins (PostgreSQL hashes them; SQLite probes the unique indexes).
    matched = session.execute(
        sa.update(row).where(mine, person.c.nik == row.c.nik).values(person_id=person.c.id)
    ).rowcount
    matched += session.execute(
        sa.update(row)
        .where(mine, household.c.kk_number == row.c.kk)
        .values(household_id=household.c.id)
    ).rowcount
    if matched:  # (a first import matches nothing, and has nothing to check here)
        _reject_other_kelurahan(session, refresh)
    session.flush()
    refresh_statistics(session)


def _reject_other_kelurahan(session: Session, refresh: Refresh) -> None:
    """A NIK or KK registered in another kelurahan is not ours to change (the NIK is named
    when both are); one pass over the rows."""
    row, person, household = RefreshRow.__table__, Person.__table__, Household.__table__
    person_elsewhere = sa.exists().where(
        person.c.id == row.c.person_id, person.c.kelurahan_id != refresh.kelurahan_id
    )
    household_elsewhere = sa.exists().where(
        household.c.id == row.c.household_id, household.c.kelurahan_id != refresh.kelurahan_id
    )
    flagged = session.execute(
        sa.update(row)
        .where(
            staged(refresh.id),
            row.c.error.is_(None),
            sa.or_(person_elsewhere, household_elsewhere),
        )
        .values(
            error=sa.case(
                (
                    person_elsewhere,
                    "NIK: NIK ini terdaftar di kelurahan lain; tidak diubah dari sini.",
                ),
                else_="Nomor KK: KK ini terdaftar di kelurahan lain; tidak diubah dari sini.",
            )
        )
    ).rowcount
    if flagged:
        mark_first_rows(session, refresh)


def tune_connection(session: Session) -> None:
    """Give SQLite a page cache big enough for bulk index work (its default is 2 MB)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA cache_size = -65536")  # 64 MB, this connection


def refresh_statistics(session: Session) -> None:
    """PostgreSQL: fresh planner statistics after a bulk load, or it nests loops over
    a table it still believes empty."""
    if session.connection().dialect.name == "postgresql":
        for table in ("refresh_row", "person", "household", "enrollment"):
            session.execute(sa.text(f"ANALYZE {table}"))


def analyse(session: Session, refresh: Refresh, progress: Progress = _no_progress) -> dict:
    """Stage, match and count: the dry run. Returns the preview counts."""
    refresh.status, refresh.analysed_at = "analisis", utcnow()
    tune_connection(session)
    session.execute(sa.delete(RefreshRow.__table__).where(staged(refresh.id)))
    stage_rows(session, refresh, progress)
    tune_connection(session)
    match_rows(session, refresh)
    progress(0.85, "Menghitung perbedaan")
    refresh.counts = preview_counts(session, refresh)
    refresh.status = "pratinjau"
    refresh.message = ""
    session.flush()
    progress(1.0, "Pratinjau siap")
    return refresh.counts


def today() -> date:
    """Today's date (a seam for tests)."""
    return date.today()
