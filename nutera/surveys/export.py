"""The filtered survey list as an XLSX file, written row by row (constant memory)."""

import os
import tempfile

import xlsxwriter
from flask import send_file

from nutera.models import SURVEY_STATUSES, User
from nutera.surveys.queries import SurveyFilters, export_rows

HEADERS = [
    "No. survei",
    "Nomor KK",
    "RW",
    "RT",
    "Alamat",
    "Relawan",
    "Status",
    "Anggota",
    "Peringatan",
    "Dikirim",
    "Diputuskan",
]


def write_surveys_xlsx(path: str, rows) -> int:
    """Write rows to an XLSX file at path; returns the number of data rows."""
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "remove_timezone": True})
    sheet = workbook.add_worksheet("Survei")
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, HEADERS, bold)
    count = 0
    for count, row in enumerate(rows, start=1):
        (survey_id, kk, rw, rt, address, volunteer, status, members, flags, submitted, decided) = (
            row
        )
        sheet.write_number(count, 0, survey_id)
        sheet.write_string(count, 1, kk or "")  # text, so no digit of the KK is lost
        sheet.write_number(count, 2, rw)
        sheet.write_number(count, 3, rt)
        sheet.write_string(count, 4, address)
        sheet.write_string(count, 5, volunteer)
        sheet.write_string(count, 6, SURVEY_STATUSES[status])
        sheet.write_number(count, 7, members)
        sheet.write_number(count, 8, flags)
        for column, value in ((9, submitted), (10, decided)):
            if value is not None:
                sheet.write_datetime(count, column, value, when)
    workbook.close()
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
        stream,
        as_attachment=True,
        download_name="survei.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
