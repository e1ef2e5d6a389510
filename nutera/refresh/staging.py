"""Upload and analysis: remember the file, stream its rows into refresh_row, match them."""

import json
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.identity import district_warning
from nutera.models import (
    AidProgram,
    Household,
    Kelurahan,
    Person,
    Refresh,
    RefreshRow,
    Rt,
    Rw,
    Setting,
)
from nutera.refresh import incremental, reader, rows
from nutera.refresh.diff import mark_first_rows, preview_counts, staged
from nutera.refresh.fastpath import FastCheck
from nutera.refresh.kelurahan_lock import share_for_reading
from nutera.refresh.states import Progress, RefreshStatus, no_progress
from nutera.refresh.validate import (
    DAY_FIRST,
    MONTH_FIRST,
    RowContext,
    duplicate_nik_message,
    sheet_code,
)
from nutera.timeutil import local_today, utcnow

BATCH = 5000
UNCHANGED_ROW = -1  # "first seen" of a NIK repeating a row an incremental import left unstaged
_MAPPING_KEY = "refresh_map:"


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
        Refresh.kelurahan_id == kelurahan_id, Refresh.status == RefreshStatus.DITERAPKAN
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
    return read_upload(session, refresh)[0]


def read_upload(
    session: Session, refresh: Refresh
) -> tuple[Refresh | None, incremental.Scan | None]:
    """(the last committed refresh of the source when it staged exactly the cells of this
    file under the same mapping, a re-saved copy; else None) and the scan of the file's rows
    against that refresh's digests for the analysis, when comparable: one read, no checks."""
    last = last_committed(session, refresh.kelurahan_id, refresh.source)
    if last is None or not last.content_hash or last.mapping != refresh.mapping:
        return None, None
    info = file_info(refresh)
    found = incremental.comparable(session, refresh, _row_context(session, refresh.kelurahan_id))
    if found is None or found[0].id != last.id:
        digest = rows.content_digest(refresh.stored_path, info, refresh.mapping)
        return (last if digest == last.content_hash else None), None
    previous, context, _ = found
    old = incremental.load(session, previous.id)
    scanned = incremental.scan(
        refresh.stored_path, info, refresh.mapping, previous.id, context, old
    )
    return (last if scanned.content_hash == last.content_hash else None), scanned


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
        status=RefreshStatus.PEMETAAN,
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
    """Required fields the mapping leaves out (a combined RT/RW column stands in for RT and
    RW), as Indonesian labels."""
    return [
        reader.FIELDS[f]
        for f in reader.REQUIRED_FIELDS
        if not mapping.get(f) and not mapping.get(reader.COMBINED.get(f, ""))
    ]


def column_samples(refresh: Refresh) -> dict[str, list[str]]:
    """A few values under each header of the stored file, for the mapping page."""
    try:
        return reader.column_samples(refresh.stored_path, file_info(refresh))
    except (OSError, reader.ReadError):  # the file is gone (cleaned up): no samples
        return {}


def file_info(refresh: Refresh) -> reader.FileInfo:
    """The layout the upload recorded, as the reader wants it (staging and sanding)."""
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
    return RowContext(
        columns={},
        rts=rts,
        programs={p.upper() for p in programs},
        today=local_today(session.get(Kelurahan, kelurahan_id)),
    )


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


def stage_rows(
    session: Session,
    refresh: Refresh,
    progress: Progress = no_progress,
    date_order: str | None = None,
    found: incremental.Plan | None = None,
    collected: incremental.Collected | None = None,
) -> dict:
    """Validate every row and insert it into refresh_row in batches (rejected rows too);
    with a plan, only the rows of the families it names.

    Returns the rule dates such as 03/04/2008 were read by: day first unless most dates of
    the file that read one way only are month first, in which case the file is staged
    again month first (rare: Indonesian offices write day first). Digests of the accepted
    rows go into collected."""
    # Plain tuples: at a million rows the ORM or per-row dicts would cost more than the checks.
    last_id = sa.select(sa.func.max(RefreshRow.id))
    collected = collected if collected is not None else incremental.Collected()
    # New rows get ids above the largest one now (rows of another staging may interleave).
    refresh.first_row_id = (session.scalar(last_id) or 0) + 1
    with rows.rare_garbage_collection():
        ctx = _stage(session, refresh, progress, date_order or DAY_FIRST, found, collected)
    refresh.last_row_id = session.scalar(last_id) or 0
    session.flush()
    if found is not None:
        _refuse_repeats_of_unchanged(session, refresh, found, collected)
    rule = date_rule(ctx)
    if date_order is None and rule["order"] != ctx.date_order and rule["ambiguous"]:
        session.execute(sa.delete(RefreshRow.__table__).where(staged(refresh.id)))
        for values in (collected.digests, collected.niks, collected.kks):
            del values[:]
        return stage_rows(session, refresh, progress, rule["order"], found, collected)
    return rule


def date_rule(ctx: RowContext) -> dict:
    """How ambiguous dates were read and the file's votes (distinct dates of each order)."""
    votes = ctx.date_votes
    day_first, month_first = len(votes[DAY_FIRST]), len(votes[MONTH_FIRST])
    return {
        "order": MONTH_FIRST if month_first > day_first else DAY_FIRST,
        "used": ctx.date_order,
        "day_first": day_first,
        "month_first": month_first,
        "ambiguous": len(votes["ambiguous"]),
        "example": min(votes["ambiguous"], default=""),
        "districts": sorted(ctx.districts),
    }


def _note_districts(ctx: RowContext, accepted: list[tuple]) -> None:
    """Remember the district digits of the accepted NIKs of a batch (few distinct values)."""
    ctx.districts.update([row[3][:6] for row in accepted])


def unknown_districts(session: Session, refresh: Refresh, districts: list[str]) -> list[dict]:
    """Accepted rows whose NIK names a district the Kemendagri list lacks, per code: a
    warning staff confirm by committing, not a refusal."""
    unknown = [d for d in districts if district_warning(d, "NIK")]
    found = []
    for code in unknown[:20]:
        rows_of = session.scalar(
            sa.select(sa.func.count())
            .select_from(RefreshRow)
            .where(staged(refresh.id), RefreshRow.error.is_(None), RefreshRow.nik.startswith(code))
        )
        found.append({"code": f"{code[:2]}.{code[2:4]}.{code[4:6]}", "rows": rows_of})
    return found


def _families(
    columns: dict[str, int], numbers, chunk: list, touched: set[str]
) -> tuple[list[int], list]:
    """The rows of a chunk whose KK is among the touched families."""
    i_kk = columns.get("kk")
    if i_kk is None:
        return list(numbers), chunk
    kept = [
        (number, cells)
        for number, cells in zip(numbers, chunk, strict=False)
        if incremental.kk_key(cells[i_kk] if i_kk < len(cells) else "") in touched
    ]
    return [n for n, _ in kept], [c for _, c in kept]


def _chunks(path: Path, info: reader.FileInfo, mapping: dict[str, str], found):
    """The data chunks to stage: every row, or the touched families' (from the upload's
    read when it kept them, else from the file)."""
    if found is None:
        yield from rows.data_chunks(path, info, mapping, CHUNK)
    elif found.scan.buffered is None:
        for sheet, columns, numbers, chunk in rows.data_chunks(path, info, mapping, CHUNK):
            yield sheet, columns, *_families(columns, numbers, chunk, found.touched)
    else:
        columns_of = {}
        for sheet_index, numbers, chunk in found.scan.buffered:
            sheet = info.sheets[sheet_index]
            if sheet_index not in columns_of:
                columns_of[sheet_index] = reader.column_indexes(sheet.headers, mapping)
            yield sheet, columns_of[sheet_index], numbers, chunk


def _stage(  # noqa: C901 (one streaming loop: the hot path of a million-row import)
    session: Session,
    refresh: Refresh,
    progress: Progress,
    order: str,
    found: incremental.Plan | None,
    collected: incremental.Collected,
) -> RowContext:
    path = Path(refresh.stored_path)
    info = file_info(refresh)
    ctx = _row_context(session, refresh.kelurahan_id)
    ctx.date_order = order
    buffered = found is not None and found.scan.buffered is not None
    total = found.rows if buffered else _count_rows(path, info)
    dates_as_text = session.connection().dialect.name == "sqlite"
    # A plan digested the whole file already; the rows staged still need their own digests.
    digest = reader.ContentDigest(refresh.mapping)
    first_of_kk: set[str] = set()
    seen_niks = ctx.seen_niks
    add_digest, add_nik, add_kk = (
        collected.digests.append,
        collected.niks.append,
        collected.kks.append,
    )
    accepted: list[tuple] = []
    rejected: list[tuple] = []
    seen = 0
    refresh_id, nik_label = refresh.id, reader.FIELDS["nik"]
    fast = columns_seen = None
    last_kk = kk_number = None  # the last accepted row's KK (already in first_of_kk)
    for sheet, columns, numbers, chunk in _chunks(path, info, refresh.mapping, found):
        seen += len(chunk)
        digests = digest.add_rows_hashed(columns, chunk)
        if columns is not columns_seen:  # a new sheet
            # Its rows get ids above every row of the sheets before: lists of rejected rows
            # show the sheets in file order (accepted rows go in after rejected ones).
            _note_districts(ctx, accepted)
            _insert_rows(session, rejected, accepted)
            ctx.columns, columns_seen = columns, columns
            fast = FastCheck(ctx, dates_as_text, first_of_kk)
        fast_values, sheet_name = fast.values, sheet.name[:60]
        base = sheet_code(ctx, sheet.name)
        for number, cells, row_digest in zip(numbers, chunk, digests, strict=False):
            values = fast_values(cells)
            if values is None:
                values, errors = fast.checked(cells, number)
            else:
                errors = None
            nik = values[0]
            if nik is not None:
                code = base + number
                number_of_nik = int(nik)
                first = seen_niks.setdefault(number_of_nik, code)
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
                        json.dumps(
                            [c if isinstance(c, str) else reader.cell_text(c) for c in cells]
                        ),
                    )
                )
            else:
                add_digest(row_digest)
                add_nik(number_of_nik)
                kk = values[1]
                if kk == last_kk:  # a family's next member (its rows follow each other)
                    is_first = False
                else:
                    last_kk, kk_number = kk, int(kk)
                    is_first = kk not in first_of_kk
                    if is_first:
                        first_of_kk.add(kk)
                add_kk(kk_number)
                accepted.append((refresh_id, sheet_name, number, *values, is_first))
        if len(accepted) + len(rejected) >= BATCH:
            # The connection is asked for each time: progress may have committed in between.
            _note_districts(ctx, accepted)
            _insert_rows(session, rejected, accepted)
            # A background job commits with its progress: the range covers every row it
            # committed, so analysing again after a crash deletes them all.
            refresh.last_row_id = session.scalar(sa.select(sa.func.max(RefreshRow.id)))
            progress(
                min(0.7, 0.7 * seen / total) if total else 0.35,
                f"{seen:,} baris dibaca".replace(",", "."),
            )
    _note_districts(ctx, accepted)
    _insert_rows(session, rejected, accepted)
    refresh.content_hash = digest.hexdigest() if found is None else found.content_hash
    progress(0.7, f"{seen:,} baris dibaca; mencocokkan dengan registri".replace(",", "."))
    return ctx


def _refuse_repeats_of_unchanged(
    session: Session, refresh: Refresh, found: incremental.Plan, collected: incremental.Collected
) -> None:
    """Refuse staged rows whose NIK is that of a row left unstaged as unchanged (checked
    after staging: the unchanged NIKs are many, the staged ones few)."""
    staged_niks = set(collected.niks)
    repeats = {nik for nik in found.carried.niks if nik in staged_niks}
    if not repeats:
        return
    message = f"{reader.FIELDS['nik']}: {duplicate_nik_message(None, UNCHANGED_ROW)}"
    texts = [f"{nik:016d}" for nik in repeats]
    for start in range(0, len(texts), 500):
        session.execute(
            sa.update(RefreshRow.__table__)
            .where(
                staged(refresh.id),
                RefreshRow.nik.in_(texts[start : start + 500]),
                RefreshRow.error.is_(None),
            )
            .values(error=message)
        )
    mark_first_rows(session, refresh)
    incremental.forget(collected, repeats)


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
    # UPDATE ... FROM joins (PostgreSQL hashes them; SQLite probes the unique indexes). An
    # empty table (a first import into a new registry) is not probed once per row.
    matched = 0
    if session.scalar(sa.select(person.c.id).limit(1)) is not None:
        matched += session.execute(
            sa.update(row).where(mine, person.c.nik == row.c.nik).values(person_id=person.c.id)
        ).rowcount
    if session.scalar(sa.select(household.c.id).limit(1)) is not None:
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


def analyse(session: Session, refresh: Refresh, progress: Progress = no_progress) -> dict:
    """Stage, match and count: the dry run. Returns the preview counts."""
    # analysed_at must not predate a commit still in progress whose result it cannot see.
    share_for_reading(session, refresh.kelurahan_id)
    refresh.status, refresh.analysed_at = RefreshStatus.ANALISIS, utcnow()
    tune_connection(session)
    session.execute(sa.delete(RefreshRow.__table__).where(staged(refresh.id)))
    ctx = _row_context(session, refresh.kelurahan_id)
    found = incremental.plan(session, refresh, ctx, file_info(refresh))
    if found is not None:
        progress(0.3, f"{_id_number(found.changed)} baris berubah sejak impor terakhir")
    collected = incremental.Collected()
    rule = stage_rows(session, refresh, progress, found and found.date_order, found, collected)
    unchanged = {"rows": found.rows, "unchanged": len(found.carried.digests)} if found else {}
    context = incremental.context_key(ctx, refresh.mapping, rule["used"])
    incremental.save(session, refresh, context, collected, found)
    unknown = unknown_districts(session, refresh, rule.pop("districts"))
    tune_connection(session)
    match_rows(session, refresh)
    progress(0.85, "Menghitung perbedaan")
    counts = {
        **preview_counts(session, refresh, unchanged),
        "date_rule": rule,
        "unknown_districts": unknown,
    }
    refresh.counts = coverage(counts, session, refresh)
    refresh.status = RefreshStatus.PRATINJAU
    refresh.message = ""
    session.flush()
    progress(1.0, "Pratinjau siap")
    return refresh.counts


# A "complete" file holding fewer than this share of the registered residents is called out.
COMPLETE_SHARE = 0.9


def coverage(counts: dict, session: Session, refresh: Refresh) -> dict:
    """The preview counts with the registry's size and, for a file said to hold every
    resident, a warning when it holds far fewer; the no-change message agrees with both."""
    # Counted for a file said to hold every resident only (what the warning compares): at a
    # city's million residents a look at every row, each week.
    registered = None
    if refresh.complete:
        registered = session.scalar(
            sa.select(sa.func.count(Person.id)).where(
                Person.kelurahan_id == refresh.kelurahan_id, Person.status == "hidup"
            )
        )
    counts["registered"] = registered
    counts["coverage_warning"] = ""
    if refresh.complete and registered and counts["rows"] < COMPLETE_SHARE * registered:
        counts["coverage_warning"] = (
            f"Berkas hanya memuat {_id_number(counts['rows'])} dari "
            f"{_id_number(registered)} warga terdaftar — apakah benar seluruh warga?"
        )
    if not counts["no_change"]:
        counts["summary"] = ""
    elif counts["absent"]:
        counts["summary"] = (
            "Tidak ada warga, KK atau kepesertaan yang baru atau berubah, jadi tidak ada yang "
            f"dapat diterapkan. {_id_number(counts['absent'])} warga terdaftar tidak ada di "
            "berkas: pemutakhiran tidak mengubah status mereka; periksa di Rincian."
        )
    else:
        counts["summary"] = "Isi berkas sama dengan registri: tidak ada perubahan."
    return counts


def _id_number(value: int) -> str:
    return f"{value:,}".replace(",", ".")
