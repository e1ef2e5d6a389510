"""The filtered survey list as an XLSX file, written row by row (constant memory)."""

import os
import tempfile

from flask import send_file

from nutera.models import SURVEY_STATUSES, User
from nutera.spreadsheet import XLSX_MIMETYPE, Column, Kind, Workbook
from nutera.surveys.queries import SurveyFilters, export_rows

COLUMNS = [
    Column("No. survei", Kind.NUMBER),
    Column("Nomor KK", Kind.ID, min_width=18),
    Column("RW", Kind.NUMBER),
    Column("RT", Kind.NUMBER),
    Column("Alamat"),
    Column("Relawan"),
    Column("Status", labels=SURVEY_STATUSES),
    Column("Anggota", Kind.NUMBER),
    Column("Peringatan", Kind.NUMBER),
    Column("Dikirim", Kind.TIME),
    Column("Diputuskan", Kind.TIME),
]


def write_surveys_xlsx(path: str, rows, zone: object = None) -> int:
    """Write rows to an XLSX file at path; returns the number of data rows."""
    book = Workbook(path, zone)
    count = book.write_sheet("Survei", COLUMNS, rows)
    book.close()
    return count


def send_surveys_xlsx(viewer: User, filters: SurveyFilters):
    """Build the spreadsheet in a temporary file and send it."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        write_surveys_xlsx(path, export_rows(viewer, filters))
        stream = open(path, "rb")
    finally:
        os.unlink(path)  # the open handle keeps the bytes until the response is sent
    return send_file(
        stream, as_attachment=True, download_name="survei.xlsx", mimetype=XLSX_MIMETYPE
    )
