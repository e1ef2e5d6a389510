"""The one writer of every spreadsheet Nutera hands out: safe, readable, streamed.

Cells from input (survey text, complaint text, imported rows, even an uploaded file's
headers) are always written as strings, never as formulas; a string that a spreadsheet
program would start to evaluate (=, +, -, @, tab, carriage return) gets a leading
apostrophe, as OWASP's CSV-injection guidance asks. NIK and KK numbers stay text, codes
are shown with the labels the pages use, times in local time as the pages show them.
Each sheet has a bold header row with filters, frozen under the header, columns sized to
their content. Rows are written one by one in constant memory.
"""

import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import xlsxwriter

from nutera.formatting import date_id

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH = 60
_SHEET_NAME_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def safe_text(value: str) -> str:
    """value, with a leading apostrophe if a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


class Kind(StrEnum):
    """How a column's values are written."""

    TEXT = "text"  # any text, from input or not
    ID = "id"  # NIK, KK and other digit strings: always text, never a number
    NUMBER = "number"
    MONEY = "money"  # rupiah, a number shown as Rp 1.500.000
    DATE = "date"  # '14 Maret 1985', as on the pages
    TIME = "time"  # a stored UTC time, local: '1 Desember 2026 15.32'
    YES_NO = "yes_no"


@dataclass(frozen=True)
class Column:
    """One column: its header, how values are written, and labels for coded values."""

    header: str
    kind: Kind = Kind.TEXT
    labels: Mapping[Any, str] | None = None
    min_width: int = 6


def local_time(value: datetime, zone: object = None) -> str:
    """A stored time in local time, formatted as the pages do (the one call to swap)."""
    return date_id(value) if zone is None else date_id(value, zone)


def cell_text(column: Column, value: Any, zone: object = None) -> str | int | float | None:
    """The value as written: a number for number columns, else safe text (None: empty)."""
    if value is None or value == "":
        return None
    if column.labels is not None:
        value = column.labels.get(value, value)
    if column.kind in (Kind.NUMBER, Kind.MONEY) and isinstance(value, int | float | Decimal):
        return value if not isinstance(value, bool) else int(value)
    if column.kind == Kind.YES_NO or isinstance(value, bool):
        return "Ya" if value else "Tidak"
    if isinstance(value, datetime):
        return safe_text(local_time(value, zone))
    if isinstance(value, date):
        return safe_text(date_id(value))
    return safe_text(str(value))


class Sheet:
    """One worksheet being written, row after row."""

    def __init__(self, book: "Workbook", title: str, columns: list[Column]):
        self.book, self.columns = book, columns
        self.sheet = book.book.add_worksheet(_sheet_name(title))
        self.widths = [max(c.min_width, len(c.header) + 2) for c in columns]
        self.count = 0
        self.sheet.write_row(0, 0, [safe_text(c.header) for c in columns], book.header)
        self.sheet.freeze_panes(1, 0)

    def row(self, values: Iterable[Any]) -> None:
        """Write one data row (values in column order)."""
        self.count += 1
        for index, (column, value) in enumerate(zip(self.columns, values, strict=False)):
            cell = cell_text(column, value, self.book.zone)
            if cell is None:
                continue
            if isinstance(cell, str):
                self.sheet.write_string(self.count, index, cell)
                width = len(cell)
            else:
                money = self.book.money if column.kind == Kind.MONEY else None
                self.sheet.write_number(self.count, index, cell, money)
                width = len(f"{cell:,}") + (3 if money else 0)
            if width > self.widths[index]:
                self.widths[index] = min(width + 1, MAX_WIDTH)

    def rows(self, rows: Iterable[Iterable[Any]], tick: Callable[[], None] | None = None) -> int:
        """Write every row; tick is called every 1000 rows. Returns the sheet's row count."""
        for values in rows:
            self.row(values)
            if tick is not None and self.count % 1000 == 0:
                tick()
        return self.count

    def finish(self) -> int:
        """Filters on the header, widths that fit. Returns the number of data rows."""
        last_column = max(len(self.columns) - 1, 0)
        self.sheet.autofilter(0, 0, max(self.count, 1), last_column)
        for index, width in enumerate(self.widths):
            self.sheet.set_column(index, index, width)
        return self.count


class Workbook:
    """An XLSX workbook written in constant memory to a path or a binary stream."""

    def __init__(self, target: str | Path | IO[bytes], zone: object = None):
        self.zone = zone
        self.book = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                "in_memory": not isinstance(target, str | Path),
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self.header = self.book.add_format({"bold": True, "bg_color": "#D9EAD3", "border": 1})
        self.money = self.book.add_format({"num_format": '"Rp" #,##0'})
        self._open: Sheet | None = None

    def sheet(self, title: str, columns: list[Column]) -> Sheet:
        """Start a sheet (the previous one is finished first)."""
        if self._open is not None:
            self._open.finish()
        self._open = Sheet(self, title, columns)
        return self._open

    def write_sheet(
        self,
        title: str,
        columns: list[Column],
        rows: Iterable[Iterable[Any]],
        tick: Callable[[], None] | None = None,
    ) -> int:
        """A whole sheet in one call; returns its number of data rows."""
        sheet = self.sheet(title, columns)
        sheet.rows(rows, tick)
        return sheet.count

    def close(self) -> None:
        """Finish the last sheet and write the file."""
        if self._open is not None:
            self._open.finish()
            self._open = None
        self.book.close()


def xlsx_bytes(
    title: str, columns: list[Column], rows: Iterable[Iterable[Any]], zone: object = None
) -> bytes:
    """A one-sheet workbook as bytes."""
    buffer = io.BytesIO()
    book = Workbook(buffer, zone)
    book.write_sheet(title, columns, rows)
    book.close()
    return buffer.getvalue()


def _sheet_name(title: str) -> str:
    return (title.translate(_SHEET_NAME_FORBIDDEN).strip() or "Lembar")[:31]
