"""Stream the data rows of an extract in chunks, checked here or in a process pool (no app)."""
import gc
import threading
from contextlib import contextmanager
from pathlib import Path

from nutera.refresh import reader
from nutera.refresh.fastpath import FastCheck, init_worker, validate_chunk, validate_in_worker
from nutera.refresh.validate import RowContext


def _looks_like_data(cells: list, nik_index: int | None) -> bool:
    """Skip empty rows and footers (JUMLAH, TOTAL) without inspecting every cell of every row."""
    if nik_index is not None and nik_index < len(cells):
        value = cells[nik_index]
        if isinstance(value, (int, float)) or (isinstance(value, str) and value[:1].isdigit()):
            return True
    return any(c not in (None, "") for c in cells) and not reader.is_footer(cells)


def data_rows(path: Path, info: reader.FileInfo, mapping: dict[str, str]):
    """(sheet, its columns, row number, cells) of every data row; empty rows and footers left out."""
    current, columns, nik_index = None, {}, None
    for sheet, number, cells in reader.iter_rows(path, info):
        if sheet is not current:
            current = sheet
            columns = reader.column_indexes(sheet.headers, mapping)
            nik_index = columns.get("nik")
        if _looks_like_data(cells, nik_index):
            yield sheet, columns, number, cells


def content_digest(path: str | Path, info: reader.FileInfo, mapping: dict[str, str]) -> str:
    """The ContentDigest staging records for this file, without checking any row."""
    digest = reader.ContentDigest(mapping)
    for _, columns, _, cells in data_rows(Path(path), info, mapping):
        digest.add(columns, cells)
    return digest.hexdigest()


def _chunks(path: Path, info: reader.FileInfo, mapping: dict[str, str],
            digest: reader.ContentDigest, size: int):
    """(sheet, columns, [(row number, cells)]) in chunks; every row also goes into digest."""
    current, current_columns, chunk = None, {}, []
    for sheet, columns, number, cells in data_rows(path, info, mapping):
        if sheet is not current:
            if chunk:
                yield current, current_columns, chunk
                chunk = []
            current, current_columns = sheet, columns
        digest.add(columns, cells)
        chunk.append((number, cells))
        if len(chunk) >= size:
            yield current, current_columns, chunk
            chunk = []
    if chunk:
        yield current, current_columns, chunk


def checked_chunks(path: Path, info: reader.FileInfo, mapping: dict[str, str], ctx: RowContext,
                   digest: reader.ContentDigest, size: int, workers: int = 0):
    """Yield (sheet, chunk, [(values, errors)]), in workers processes when workers > 1."""
    if workers < 2:
        fast, columns_seen = None, None
        for sheet, columns, chunk in _chunks(path, info, mapping, digest, size):
            if columns is not columns_seen:
                ctx.columns, columns_seen = columns, columns
                fast = FastCheck(ctx)
            yield sheet, chunk, validate_chunk(ctx, fast, chunk)
        return
    import multiprocessing
    from collections import deque

    columns = reader.column_indexes(info.sheets[0].headers, mapping)
    # spawn, not fork: the web process has threads, and a forked child could inherit a held lock.
    with multiprocessing.get_context("spawn").Pool(
            workers, initializer=init_worker,
            initargs=(columns, ctx.rts, ctx.programs, ctx.today)) as pool:
        pending: deque = deque()
        for sheet, _, chunk in _chunks(path, info, mapping, digest, size):
            pending.append((sheet, chunk, pool.apply_async(validate_in_worker, (chunk,))))
            while len(pending) > workers * 2:  # bounded: never the whole file in memory
                sheet, chunk, result = pending.popleft()
                yield sheet, chunk, result.get()
        while pending:
            sheet, chunk, result = pending.popleft()
            yield sheet, chunk, result.get()


_gc_lock = threading.Lock()
_gc_users = [0, None]  # stagings running in this process, thresholds before the first


@contextmanager
def rare_garbage_collection():
    """Collect cyclic garbage less often while rows stream through.

    Each row allocates a few short-lived lists; at the default thresholds a million rows
    set off thousands of collections that each walk every cached object (measured: 40% of
    validation time at 1M rows). The process-wide setting is restored by the last staging
    to finish, so concurrent imports in one web process do not undo each other."""
    with _gc_lock:
        if _gc_users[0] == 0:
            _gc_users[1] = gc.get_threshold()
            gc.set_threshold(100_000, 50, 100)
        _gc_users[0] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users[0] -= 1
            if _gc_users[0] == 0:
                gc.set_threshold(*_gc_users[1])
