"""Stream the data rows of an extract in chunks (no app needed)."""

import gc
import threading
from contextlib import contextmanager
from pathlib import Path

from nutera.refresh import reader


def _looks_like_data(cells: list, nik_index: int | None) -> bool:
    """Skip empty rows and footers (JUMLAH, TOTAL) without inspecting every cell of every row."""
    if nik_index is not None and nik_index < len(cells):
        value = cells[nik_index]
        if isinstance(value, (int, float)) or (isinstance(value, str) and value[:1].isdigit()):
            return True
    return any(c not in (None, "") for c in cells) and not reader.is_footer(cells)


# Rows are read and checked a couple of hundred at a time: their cells are still in the CPU
# cache when checked (10,000 at a time cost ~1 s more at a million rows).
CHUNK = 200


def content_digest(path: str | Path, info: reader.FileInfo, mapping: dict[str, str]) -> str:
    """The ContentDigest staging records for this file, without checking any row."""
    digest = reader.ContentDigest(mapping)
    with rare_garbage_collection():
        for _, columns, _, chunk in data_chunks(Path(path), info, mapping, CHUNK):
            digest.add_rows(columns, chunk)
    return digest.hexdigest()


def _all_start_with_digit(chunk: list[list], index: int) -> bool:
    """Whether every row's cell at index starts with a digit."""
    try:  # all-text cells (a CSV): their first characters at once
        heads = "".join([cells[index][:1] for cells in chunk])
    except (IndexError, TypeError):  # a short row or a typed cell (a workbook)
        return all([len(cells) > index and str(cells[index])[:1].isdigit() for cells in chunk])
    # (an empty cell adds no character; isdigit is true of digits only, as row by row)
    return len(heads) == len(chunk) and heads.isdigit()


def data_chunks(path: Path, info: reader.FileInfo, mapping: dict[str, str], size: int):
    """(sheet, its columns, row numbers, rows of cells) of the data rows, size at a time."""
    # Empty rows and footers are left out; a chunk holds rows of one sheet.
    current, columns, nik_index = None, {}, None
    for sheet, first, chunk in reader.iter_row_chunks(path, info, size):
        if sheet is not current:
            current = sheet
            columns = reader.column_indexes(sheet.headers, mapping)
            nik_index = columns.get("nik")
        numbers = range(first, first + len(chunk))
        # Nearly always every row has a NIK starting with a digit: kept without a look
        # at each row's cells. A chunk with any other row is sorted row by row.
        if nik_index is None or not _all_start_with_digit(chunk, nik_index):
            kept = [
                (number, cells)
                for number, cells in zip(numbers, chunk, strict=False)
                if _looks_like_data(cells, nik_index)
            ]
            if not kept:
                continue
            numbers, chunk = [n for n, _ in kept], [cells for _, cells in kept]
        yield sheet, columns, numbers, chunk


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
