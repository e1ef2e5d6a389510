"""Read kelurahan extracts as offices really produce them, one row at a time (no app needed).

CSV: UTF-8 with or without BOM, else Windows-1252; ``;`` or ``,`` separated. XLSX: every
sheet with a recognisable header, read with python-calamine. Title rows above the header
are skipped; the header is the first row where several known column names appear.
"""

import codecs
import csv
import hashlib
import io
import itertools
import json
import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xxhash

FIELDS = {
    "nik": "NIK",
    "kk": "Nomor KK",
    "name": "Nama",
    "sex": "Jenis kelamin",
    "birth_date": "Tanggal lahir",
    "address": "Alamat",
    "rt": "RT",
    "rw": "RW",
    "programs": "Program bansos",
    # Combined columns offices use; new fields go last (the content digest hashes in order).
    "rt_rw": "RT/RW gabungan",
    "birth_place_date": "Tempat/Tgl lahir",
    "desil": "Desil (DTSEN)",
}
REQUIRED_FIELDS = ("nik", "kk", "name", "rt", "rw")
# A field that one combined column can stand in for.
COMBINED = {"rt": "rt_rw", "rw": "rt_rw", "birth_date": "birth_place_date"}

# Header spellings seen in kelurahan files, normalised by _norm (upper case, letters/digits).
ALIASES = {
    "nik": {
        "NIK",
        "NONIK",
        "NOMORNIK",
        "NOMORINDUKKEPENDUDUKAN",
        "NOINDUKKEPENDUDUKAN",
        "NIKKTP",
        "NONIKKTP",
        "NIKWARGA",
        "NIKPENERIMA",
    },
    "kk": {
        "NOKK",
        "NOMORKK",
        "KK",
        "NKK",
        "NOMORKARTUKELUARGA",
        "NOKARTUKELUARGA",
        "NIKKK",
        "NOMORKELUARGA",
        "KARTUKELUARGA",
    },
    "name": {
        "NAMA",
        "NAMALENGKAP",
        "NAMAWARGA",
        "NAMAPENERIMA",
        "NAMAKTP",
        "NAMAANGGOTA",
        "NAMAANGGOTAKELUARGA",
        "NAMAPENDUDUK",
    },
    "sex": {
        "JENISKELAMIN",
        "JK",
        "LP",
        "KELAMIN",
        "SEX",
        "GENDER",
        "JNSKELAMIN",
        "JNSKEL",
        "JENISKEL",
        "JENKEL",
        "JKEL",
    },
    "birth_date": {
        "TGLLAHIR",
        "TANGGALLAHIR",
        "TGLLHR",
        "TANGGALLHR",
        "TGLLAHIRDDMMYYYY",
        "TANGGALLAHIRDDMMYYYY",
        "TGLLAHIRDDMMYY",
        "TGLLAHIRHHBBTTTT",
    },
    "address": {"ALAMAT", "ALAMATLENGKAP", "ALAMATRUMAH", "JALAN", "ALAMATDOMISILI", "ALAMATKTP"},
    "rt": {"RT", "NORT", "NOMORRT"},
    "rw": {"RW", "NORW", "NOMORRW"},
    "programs": {
        "BANSOS",
        "PROGRAM",
        "PROGRAMBANSOS",
        "JENISBANSOS",
        "BANTUAN",
        "JENISBANTUAN",
        "PROGRAMBANTUAN",
    },
    "rt_rw": {"RTRW", "NORTRW", "NOMORRTRW", "RTRWDOMISILI"},
    "birth_place_date": {
        "TEMPATTGLLAHIR",
        "TEMPATTANGGALLAHIR",
        "TEMPATTGLLHR",
        "TTL",
        "TMPTTGLLAHIR",
        "TMPTLAHIRTGLLAHIR",
        "TEMPATLAHIRTANGGALLAHIR",
        "TEMPATLAHIRTGLLAHIR",
        "TMPTTGLLHR",
    },
    "desil": {"DESIL", "DESILDTSEN", "DESILKESEJAHTERAAN", "PERINGKATDESIL", "DESILDTKS"},
}
_HEADER_SCAN_ROWS = 25
FOOTER_WORDS = ("JUMLAH", "TOTAL", "GRAND TOTAL")


class ReadError(ValueError):
    """A file that cannot be read at all; the message is Indonesian."""


def _norm(label: object) -> str:
    return re.sub(r"[^A-Z0-9]", "", str(label or "").upper())


@dataclass
class SheetLayout:
    """Where the header of one sheet is and what it says."""

    name: str
    header_index: int  # 0-based row index of the header in the sheet
    headers: list[str]


@dataclass
class FileInfo:
    """What was learned about a file before reading its rows."""

    kind: str  # csv / xlsx
    sha256: str
    encoding: str = ""
    delimiter: str = ""
    sheets: list[SheetLayout] = field(default_factory=list)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _detect_encoding(path: Path) -> str:
    """utf-8-sig when the whole file decodes as UTF-8, else cp1252."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        try:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _sniff_delimiter(sample: str) -> str:
    counts = {d: sample.count(d) for d in (";", ",", "\t")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def find_header(rows: list[list[Any]]) -> int | None:
    """Index of the first row naming at least three known columns including NIK or name."""
    for index, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        found = {f for cell in row for f, names in ALIASES.items() if _norm(cell) in names}
        if len(found) >= 3 and ({"nik", "name"} & found):
            return index
    return None


def _kind(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv" or suffix == ".txt":
        return "csv"
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        return "xlsx"
    raise ReadError("Format berkas tidak dikenal: unggah CSV atau XLSX.")


def inspect_file(path: str | Path, filename: str) -> FileInfo:
    """Find the format, encoding, delimiter and the header of every usable sheet."""
    path = Path(path)
    info = FileInfo(kind=_kind(filename), sha256=file_sha256(path))
    if info.kind == "csv":
        info.encoding = _detect_encoding(path)
        with open(path, encoding=info.encoding, newline="") as handle:
            sample = handle.read(64 * 1024)
        info.delimiter = _sniff_delimiter(sample)
        head = list(csv.reader(io.StringIO(sample), delimiter=info.delimiter))
        index = find_header(head)
        if index is not None:
            info.sheets.append(SheetLayout("", index, [str(c).strip() for c in head[index]]))
    else:
        for name, rows in _xlsx_sheets(path, limit=_HEADER_SCAN_ROWS):
            index = find_header(rows)
            if index is not None:
                info.sheets.append(SheetLayout(name, index, [cell_text(c) for c in rows[index]]))
    if not info.sheets:
        raise ReadError("Baris judul kolom (NIK, No. KK, Nama, ...) tidak ditemukan di berkas.")
    return info


def _xlsx_sheets(path: Path, limit: int | None = None) -> Iterator[tuple[str, list[list[Any]]]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own error types for broken files
        raise ReadError(f"Berkas XLSX tidak dapat dibaca: {error}") from None
    for name in workbook.sheet_names:
        sheet = workbook.get_sheet_by_name(name)
        rows = []
        for row in sheet.iter_rows():
            rows.append(row)
            if limit and len(rows) >= limit:
                break
        yield name, rows


def cell_text(cell: object) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return "" if cell is None else str(cell).strip()


def propose_mapping(
    headers: list[str], remembered: dict[str, str] | None = None
) -> dict[str, str]:
    """field -> header label, preferring what was confirmed for this source last time."""
    by_norm = {_norm(h): h for h in headers if _norm(h)}
    mapping: dict[str, str] = {}
    for field_name, label in (remembered or {}).items():
        if field_name in FIELDS and _norm(label) in by_norm:
            mapping[field_name] = by_norm[_norm(label)]
    for field_name, names in ALIASES.items():
        if field_name not in mapping:
            match = next((h for n, h in by_norm.items() if n in names), None)
            if match is not None:
                mapping[field_name] = match
    # A combined column only stands in for separate ones the file lacks.
    if mapping.get("rt") and mapping.get("rw"):
        mapping.pop("rt_rw", None)
    if mapping.get("birth_date"):
        mapping.pop("birth_place_date", None)
    return mapping


def column_samples(path: str | Path, info: FileInfo, count: int = 3) -> dict[str, list[str]]:
    """header -> the first few non-empty values under it in the first sheet (identity-like
    numbers masked), so staff see what they are mapping."""
    sheet = info.sheets[0]
    samples: dict[str, list[str]] = {h: [] for h in sheet.headers if h}
    for _, _, chunk in iter_row_chunks(path, FileInfo(**{**info.__dict__, "sheets": [sheet]}), 50):
        for cells in chunk:
            for header, cell in zip(sheet.headers, cells, strict=False):
                text = cell_text(cell)
                if header and text and len(samples[header]) < count:
                    samples[header].append(_mask_sample(text))
        break
    return samples


def _mask_sample(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 12 and len(digits) >= len(text) - 4:
        return digits[:6] + "\u2022" * (len(digits) - 10) + digits[-4:]
    return text[:40]


def column_indexes(headers: list[str], mapping: dict[str, str]) -> dict[str, int]:
    """field -> column index in this sheet for the mapped header labels."""
    positions = {_norm(h): i for i, h in reversed(list(enumerate(headers)))}
    return {
        f: positions[_norm(label)]
        for f, label in mapping.items()
        if label and _norm(label) in positions
    }


def is_footer(cells: list[Any]) -> bool:
    """A total row such as JUMLAH under the data."""
    for cell in cells:
        if isinstance(cell, str) and cell.strip().upper().startswith(FOOTER_WORDS):
            return True
    return False


def iter_row_chunks(
    path: str | Path, info: FileInfo, size: int
) -> Iterator[tuple[SheetLayout, int, list[list[Any]]]]:
    """(sheet, number of the first, rows of cells) under each header, size rows at a time."""
    # Data rows are numbered from 1 in every sheet.
    path = Path(path)
    if info.kind == "csv":
        with open(path, encoding=info.encoding, newline="") as handle:
            yield from _chunks_under_header(
                info.sheets[0], csv.reader(handle, delimiter=info.delimiter), size
            )
        return
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    for sheet in info.sheets:
        yield from _chunks_under_header(
            sheet, workbook.get_sheet_by_name(sheet.name).iter_rows(), size
        )


def _chunks_under_header(sheet: SheetLayout, rows: Iterator[list[Any]], size: int):
    """Skip the title rows and header, then yield the rows size at a time."""
    for _ in itertools.islice(rows, sheet.header_index + 1):
        pass
    number = 1
    while chunk := list(itertools.islice(rows, size)):
        yield sheet, number, chunk
        number += len(chunk)


# The 64-bit digest of a row's text (UTF-8), compared between weekly files.
row_digest = xxhash.xxh3_64_intdigest


class ContentDigest:
    """SHA-256 of the mapping and the mapped cells of every data row, in file order.

    Two files with equal digests stage exactly the same cells under the same mapping, so a
    re-saved copy (other line ends, quoting, encoding, column order) is known to be the same
    extract without checking its rows again."""

    def __init__(self, mapping: dict[str, str]):
        self._hash = hashlib.sha256(b"nutera-content-1\n")
        self._hash.update(json.dumps(mapping, sort_keys=True).encode())
        self._fields = [f for f in FIELDS if mapping.get(f)]
        self._columns: dict[str, int] | None = None
        self._indexes: list[int | None] = []
        self._pending: list[str] = []  # hashed a few thousand rows at a time: fewer calls

    def add(self, columns: dict[str, int], cells: list[Any]) -> str:
        """Take one data row of the sheet whose mapped columns are columns; answers the row's
        text (its mapped cells, what a per-row digest is taken of)."""
        if columns is not self._columns:
            self._columns = columns
            self._indexes = [columns.get(f) for f in self._fields]
        try:
            line = "\x1f".join([cells[i] for i in self._indexes])
        except (TypeError, IndexError):  # a number or date cell, a short row, an unmapped column
            line = None
        # \x1e opens a plain row, \x1f separates its cells; a row holding either (or \x1d)
        # itself is written like a typed one, as the repr of its cells, so no two differ
        # yet hash alike.
        if (
            line is not None
            and line.count("\x1f") == len(self._indexes) - 1
            and "\x1e" not in line
            and "\x1d" not in line
        ):
            self._pending.append("\x1e" + line)
        else:
            size = len(cells)
            typed = tuple(
                (type(cells[i]).__name__, cells[i]) if i is not None and i < size else None
                for i in self._indexes
            )
            line = "\x1d" + repr(typed)  # (a plain row's text never holds \x1d)
            self._pending.append(line)
        if len(self._pending) >= 4096:
            self._flush()
        return line

    def _plain_lines(self, columns: dict[str, int], rows: list[list[Any]]) -> list[str] | None:
        """The chunk's row texts when every row is all text with no separator in any cell
        (then joined and checked as one string), else None: such rows go one by one."""
        if columns is not self._columns:
            self._columns = columns
            self._indexes = [columns.get(f) for f in self._fields]
        width = len(self._indexes)
        if not rows or width < 2 or None in self._indexes:
            return None
        cells_of = operator.itemgetter(*self._indexes)
        try:
            lines = ["\x1f".join(cells_of(cells)) for cells in rows]
        except (TypeError, IndexError):  # a typed cell or a short row
            return None
        joined = "\x1e".join(lines)
        if (
            joined.count("\x1f") == len(rows) * (width - 1)
            and joined.count("\x1e") == len(rows) - 1
            and "\x1d" not in joined
        ):
            return lines
        return None

    def add_rows(self, columns: dict[str, int], rows: list[list[Any]]) -> list[str]:
        """add() for every row of a chunk, giving the same digest and row texts."""
        lines = self._plain_lines(columns, rows)
        if lines is None:
            return [self.add(columns, cells) for cells in rows]
        self._pending.append("\x1e" + "\x1e".join(lines))
        self._flush()
        return lines

    def add_rows_hashed(self, columns: dict[str, int], rows: list[list[Any]]) -> list[int]:
        """add_rows, answering each row's 64-bit digest (row_digest of its text) instead."""
        lines = self._plain_lines(columns, rows)
        if lines is None:
            return [
                row_digest(line.encode("utf-8", "surrogatepass"))
                for line in self.add_rows(columns, rows)
            ]
        # The chunk's text is encoded once and cut at the row separators (one byte in UTF-8,
        # in no plain row's text): no encode per row.
        self._flush()
        encoded = ("\x1e" + "\x1e".join(lines)).encode("utf-8", "surrogatepass")
        self._hash.update(encoded)
        return list(map(row_digest, encoded[1:].split(b"\x1e")))

    def _flush(self) -> None:
        self._hash.update("".join(self._pending).encode("utf-8", "surrogatepass"))
        self._pending.clear()

    def hexdigest(self) -> str:
        self._flush()
        return self._hash.hexdigest()
