"""Extracts in the layouts offices really send: read without a manual mapping, counted the
same by the CLI dry run and by the pages, every unreadable row reported by row and column."""

import csv
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from nutera.extensions import db
from nutera.models import Refresh, RefreshRow
from nutera.refresh import reader
from nutera.refresh.validate import MONTHS, parse_date, rt_rw_numbers
from tests import factories

MONTH_NAMES = {n: name for name, n in MONTHS.items() if len(name) > 3 and name.isalpha()}
MONTH_NAMES.update({2: "Februari", 5: "Mei", 8: "Agustus", 11: "November"})
RTS = [(1, 1), (2, 1), (1, 2)]  # (rt, rw) of the world's Tamansari
GOOD, BAD = 12, 3


@pytest.fixture
def app(make_app):
    """Jobs run inline so a request returns after the work is done."""
    from tests.dbutil import empty_all_tables

    app = make_app(QUEUE_IMMEDIATE=True)
    yield app
    empty_all_tables(app)


def people(start: int, month_first: bool = False):
    """GOOD valid persons then BAD defective ones: (nik, kk, name, sex, birth, rt, rw, defect)."""
    found = []
    for i in range(GOOD + BAD):
        if month_first:  # days above 12 read one way only; every fourth is ambiguous
            birth = date(1970 + i, i % 12 + 1, 5 if i % 4 == 0 else 13 + i % 15)
        else:
            birth = date(1960 + i * 3, i % 12 + 1, i % 27 + 1)
        sex = "P" if i % 2 else "L"
        nik = factories.make_nik(birth, sex, serial=start + i)
        kk = factories.make_kk(serial=start + i // 3)
        rt, rw = RTS[i % 3]
        defect = None if i < GOOD else ("rt_rw", "date", "sex")[i - GOOD]
        found.append((nik, kk, f"WARGA {i} JOSÉ", sex, birth, rt, rw, defect))
    return found


def write_words_utf8(path, rows):
    """UTF-8 with BOM, ';': words for sex, Tempat/Tgl Lahir with month names, RT 003 RW 005."""
    header = [
        "NO",
        "Nomor Induk Kependudukan",
        "No. K.K",
        "Nama Lengkap",
        "Jns Kel",
        "Tempat/Tgl Lahir",
        "Alamat Lengkap",
        "RT/RW",
        "Bansos",
    ]
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["DATA WARGA KELURAHAN TAMANSARI"])
        writer.writerow(header)
        for n, (nik, kk, name, sex, born, rt, rw, defect) in enumerate(rows, 1):
            words = {"L": "Laki-laki", "P": "Perempuan"}
            if defect == "sex":
                sex = "P" if sex == "L" else "L"
            when = f"{born.day} {MONTH_NAMES[born.month]} {born.year}"
            place_date = f"BANDUNG, {when}" if n % 2 else f"Kab. Garut / {when}"
            if defect == "date":
                place_date = "BANDUNG, 32 Maret 2008"
            rt_rw = f"RT {rt:03d} RW {rw:03d}" if defect != "rt_rw" else "RT ? RW ?"
            writer.writerow([n, nik, kk, name, words[sex], place_date, "Jl. Layout", rt_rw, ""])
    return path


def write_abbreviations_cp1252(path, rows):
    """Windows-1252, ',': LK/PR, dates as 03-03-2008, 3/3/2008, 2008-03-03, 3 Mar 2008,
    and RT/RW written 003/005, 3/5 or RT.03/RW.05."""
    header = ["NIK", "NO. KK", "NAMA", "L/P", "Tgl. Lahir", "Alamat", "RT/RW"]
    with open(path, "w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for n, (nik, kk, name, sex, born, rt, rw, defect) in enumerate(rows, 1):
            if defect == "sex":
                sex = "P" if sex == "L" else "L"
            dates = (
                f"{born:%d-%m-%Y}",
                f"{born.day}/{born.month}/{born.year}" if born.day > 12 else f"{born:%d/%m/%Y}",
                born.isoformat(),
                f"{born.day} {MONTH_NAMES[born.month][:3]} {born.year}",
            )
            when = dates[n % 4] if defect != "date" else "31-02-1990"
            rt_rws = (f"{rt:03d}/{rw:03d}", f"{rt}/{rw}", f"RT.{rt:02d}/RW.{rw:02d}")
            rt_rw = rt_rws[n % 3] if defect != "rt_rw" else "tiga/lima"
            writer.writerow([nik, kk, name, {"L": "LK", "P": "PR"}[sex], when, "Gg. É", rt_rw])
    return path


def write_xlsx_date_cells(path, rows):
    """openpyxl with real date cells, separate RT and RW, a title row above the header."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Data Warga"
    sheet.append(["DAFTAR WARGA"])
    sheet.append(["No", "NIK", "No KK", "Nama", "Jenis Kelamin", "Tanggal Lahir", "RT", "RW"])
    for n, (nik, kk, name, sex, born, rt, rw, defect) in enumerate(rows, 1):
        if defect == "sex":
            sex = "P" if sex == "L" else "L"
        when = born if defect != "date" else "tgl ?"
        rt_cell = rt if defect != "rt_rw" else "satu"
        sheet.append([n, nik, kk, name, sex, when, rt_cell, rw])
        sheet.cell(row=sheet.max_row, column=6).number_format = "DD/MM/YYYY"
    book.save(path)
    return path


def write_month_first(path, rows):
    """Dates written month first (12/25/1990): ambiguous ones (05/03/1990) follow them."""
    header = ["NIK", "No KK", "Nama", "JK", "Tgl Lahir", "RT", "RW"]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        for nik, kk, name, sex, born, rt, rw, defect in rows:
            if defect == "sex":
                sex = "P" if sex == "L" else "L"
            when = f"{born:%m/%d/%Y}" if defect != "date" else "13/13/1990"
            rt_cell = f"{rt:03d}" if defect != "rt_rw" else "-"
            writer.writerow([nik, kk, name, sex, when, rt_cell, f"{rw:03d}"])
    return path


LAYOUTS = {
    "words_utf8.csv": (write_words_utf8, False),
    "abbreviations_cp1252.csv": (write_abbreviations_cp1252, False),
    "date_cells.xlsx": (write_xlsx_date_cells, False),
    "month_first.csv": (write_month_first, True),
}
# The column each defect is reported under.
DEFECT_COLUMNS = {"rt_rw": ("RT/RW", "RT"), "date": ("Tempat/Tgl lahir", "Tanggal lahir")}


def cli_counts(output: str) -> tuple[int, int]:
    read = re.search(r"Baris dibaca\s+([\d.]+)", output).group(1)
    rejected = re.search(r"Baris ditolak\s+([\d.]+)", output).group(1)
    return int(read.replace(".", "")), int(rejected.replace(".", ""))


def rejected_rows(app, refresh_id):
    with app.app_context():
        return {
            r.row_number: r.error
            for r in db.session.scalars(
                sa.select(RefreshRow).where(
                    RefreshRow.refresh_id == refresh_id, RefreshRow.error.is_not(None)
                )
            )
        }


def latest_refresh(app) -> Refresh:
    with app.app_context():
        refresh = db.session.scalar(sa.select(Refresh).order_by(Refresh.id.desc()).limit(1))
        db.session.expunge(refresh)
        return refresh


def assert_defects_reported(app, refresh, rows):
    errors = rejected_rows(app, refresh.id)
    assert set(errors) == {n for n, row in enumerate(rows, 1) if row[7]}, errors
    for number, row in enumerate(rows, 1):
        if row[7] in DEFECT_COLUMNS:
            assert errors[number].startswith(DEFECT_COLUMNS[row[7]]), errors[number]
        elif row[7] == "sex":
            assert "tidak sesuai dengan NIK" in errors[number]


@pytest.mark.parametrize("name", LAYOUTS)
def test_cli_dry_run_reads_each_layout_without_a_manual_mapping(
    runner, world, app, tmp_path, name
):
    writer, month_first = LAYOUTS[name]
    rows = people(700 + 20 * list(LAYOUTS).index(name), month_first)
    path = writer(tmp_path / name, rows)
    result = runner.invoke(
        args=["refresh", "import", str(path), "--source", name, "--kelurahan", "3273021003"]
    )
    assert result.exit_code == 0, result.output
    assert cli_counts(result.output) == (GOOD + BAD, BAD)
    refresh = latest_refresh(app)
    assert_defects_reported(app, refresh, rows)
    rule = refresh.counts["date_rule"]
    assert rule["used"] == ("mdy" if month_first else "dmy")
    if month_first:
        assert rule["ambiguous"] > 0 and rule["month_first"] > rule["day_first"]


@pytest.mark.parametrize("name", LAYOUTS)
def test_the_pages_give_the_same_counts(client, login_as, world, app, tmp_path, name):
    writer, month_first = LAYOUTS[name]
    rows = people(800 + 20 * list(LAYOUTS).index(name), month_first)
    path = writer(tmp_path / name, rows)
    login_as("staff")
    with open(path, "rb") as handle:
        data = {
            "source": name,
            "file": (io.BytesIO(handle.read()), path.name),
            "kelurahan_id": str(world.kelurahan_id),
        }
    response = client.post("/pemutakhiran/", data=data, content_type="multipart/form-data")
    assert response.status_code == 302 and "/pemetaan" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert 'id="column-samples"' in page
    proposed = latest_refresh(app).mapping  # what the page pre-selects, posted unchanged
    for field, header in proposed.items():
        assert f'<option selected value="{header}">' in page, (field, header)
    shown = client.post(response.location, data=proposed, follow_redirects=True)
    text = shown.get_data(as_text=True)
    assert f'data-count="rows">{GOOD + BAD}<' in text
    assert f'data-count="ditolak">{BAD}<' in text
    assert_defects_reported(app, latest_refresh(app), rows)
    if month_first:
        assert "bulan/hari/tahun" in text


def test_header_variants_map_to_their_fields():
    headers = [
        "Nomor Induk Kependudukan",
        "No. K.K",
        "Nama Lengkap",
        "Jns Kel",
        "Tempat/Tgl Lahir",
        "Alamat Lengkap",
        "RT / RW",
    ]
    assert reader.propose_mapping(headers) == {
        "nik": "Nomor Induk Kependudukan",
        "kk": "No. K.K",
        "name": "Nama Lengkap",
        "sex": "Jns Kel",
        "birth_place_date": "Tempat/Tgl Lahir",
        "address": "Alamat Lengkap",
        "rt_rw": "RT / RW",
    }
    separate = reader.propose_mapping(["NIK", "No KK", "Nama", "Tgl. Lahir", "RT", "RW", "RT/RW"])
    assert "rt_rw" not in separate and separate["birth_date"] == "Tgl. Lahir"


@pytest.mark.parametrize(
    "text, expected",
    [("003/005", (3, 5)), ("3/5", (3, 5)), ("RT 003 RW 005", (3, 5)), ("RT.03/RW.05", (3, 5)),
     ("rt 3 / rw 5", (3, 5)), ("003-005", (3, 5)), ("RT 3", None), ("tiga/lima", None),
     ("", None)],
)  # fmt: skip
def test_combined_rt_rw_cells(text, expected):
    assert rt_rw_numbers(text) == expected


@pytest.mark.parametrize(
    "text, order, expected",
    [("03-03-2008", "dmy", date(2008, 3, 3)), ("3/3/2008", "dmy", date(2008, 3, 3)),
     ("2008-03-03", "dmy", date(2008, 3, 3)), ("3 Maret 2008", "dmy", date(2008, 3, 3)),
     ("3 MAR 2008", "dmy", date(2008, 3, 3)), ("03-Agu-2008", "dmy", date(2008, 8, 3)),
     ("3 Pebruari 2008", "dmy", date(2008, 2, 3)), ("03/04/2008", "dmy", date(2008, 4, 3)),
     ("03/04/2008", "mdy", date(2008, 3, 4)), ("25/04/2008", "mdy", date(2008, 4, 25)),
     ("04/25/2008", "dmy", date(2008, 4, 25)), (39510, "dmy", date(2008, 3, 3))],
)  # fmt: skip
def test_dates_in_every_form_offices_write(text, order, expected):
    assert parse_date(text, order) == expected


def test_ambiguous_date_mismatch_names_the_rule(runner, world, app, tmp_path):
    rows = people(900, month_first=True)
    path = write_month_first(tmp_path / "m.csv", rows[:GOOD])
    with open(path, "a", encoding="utf-8", newline="") as handle:
        # 04/05/1990 read month first is 5 April; the NIK says 4 May.
        nik = factories.make_nik(date(1990, 5, 4), "L", serial=990)
        kk = factories.make_kk(serial=990)
        csv.writer(handle, delimiter=";").writerow(
            [nik, kk, "AMBIGU", "L", "04/05/1990", "001", "001"]
        )
    result = runner.invoke(
        args=["refresh", "import", str(path), "--source", "M", "--kelurahan", "3273021003"]
    )
    assert result.exit_code == 0, result.output
    errors = rejected_rows(app, latest_refresh(app).id)
    assert list(errors) == [GOOD + 1]
    assert "04/05/1990 dibaca bulan/hari/tahun" in errors[GOOD + 1]


def test_mapping_page_maps_combined_columns_by_hand(client, login_as, world, app, tmp_path):
    rows = people(960)
    path = tmp_path / "wilayah.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["NIK", "No KK", "Nama", "Lahir di/pada", "Wilayah"])
        for nik, kk, name, _sex, born, rt, rw, _defect in rows[:GOOD]:
            writer.writerow([nik, kk, name, f"BANDUNG, {born:%d-%m-%Y}", f"{rt:03d}/{rw:03d}"])
    login_as("staff")
    with open(path, "rb") as handle:
        data = {
            "source": "Wilayah",
            "file": (io.BytesIO(handle.read()), path.name),
            "kelurahan_id": str(world.kelurahan_id),
        }
    mapping_url = client.post(
        "/pemutakhiran/", data=data, content_type="multipart/form-data"
    ).location
    page = client.get(mapping_url).get_data(as_text=True)
    # Each column shows what it holds (identity numbers masked), in the list and the choices.
    assert "BANDUNG, " in page and "001/001" in page
    assert rows[0][0] not in page and rows[0][0][:6] in page
    assert '<option value="Wilayah">Wilayah (mis. 001/001)</option>' in page
    chosen = {"nik": "NIK", "kk": "No KK", "name": "Nama"}
    refused = client.post(mapping_url, data=chosen).get_data(as_text=True)
    assert "atau satu kolom RT/RW gabungan" in refused
    chosen.update(rt_rw="Wilayah", birth_place_date="Lahir di/pada")
    text = client.post(mapping_url, data=chosen, follow_redirects=True).get_data(as_text=True)
    assert f'data-count="rows">{GOOD}<' in text and 'data-count="ditolak">0<' in text


def test_unknown_district_is_a_warning_in_the_preview_not_a_refusal(
    runner, world, app, tmp_path, client, login_as
):
    rows = people(980)[:GOOD]
    odd = factories.make_nik(date(1990, 1, 5), "L", prefix="327399", serial=981)
    path = tmp_path / "distrik.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["NIK", "No KK", "Nama", "RT", "RW"])
        for nik, kk, name, _sex, _born, rt, rw, _defect in rows:
            writer.writerow([nik, kk, name, rt, rw])
        writer.writerow([odd, rows[0][1], "KECAMATAN ASING", 1, 1])
    result = runner.invoke(
        args=["refresh", "import", str(path), "--source", "K", "--kelurahan", "3273021003"]
    )
    assert result.exit_code == 0, result.output
    assert cli_counts(result.output) == (GOOD + 1, 0)
    assert "Kode kecamatan 32.73.99 tidak ada di daftar Kemendagri: 1 baris" in result.output
    refresh = latest_refresh(app)
    assert refresh.counts["unknown_districts"] == [{"code": "32.73.99", "rows": 1}]
    login_as("staff")
    page = client.get(f"/pemutakhiran/{refresh.id}").get_data(as_text=True)
    assert 'id="unknown-districts"' in page and "32.73.99 (1 baris)" in page
