"""Setting up a city: every kelurahan of a kota from the Kemendagri list, RWs and RTs from a
spreadsheet, by command line and on the admin page."""

import io

import sqlalchemy as sa
from openpyxl import Workbook

from nutera.extensions import db
from nutera.models import Kelurahan, Rt, Rw


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_add_city_creates_every_kelurahan_of_bandung_once(app, runner):
    result = runner.invoke(args=["regions", "add-city", "32.73"])
    assert result.exit_code == 0, result.output
    assert "Kota Bandung: 151 kelurahan ditambahkan, 0 sudah terdaftar." in result.output
    assert _count(app, Kelurahan, Kelurahan.code.startswith("3273")) == 151
    with app.app_context():
        sukarasa = db.session.scalar(sa.select(Kelurahan).where(Kelurahan.code == "3273011001"))
        assert (sukarasa.name, sukarasa.kecamatan, sukarasa.kota) == (
            "Sukarasa",
            "Sukasari",
            "Kota Bandung",
        )
        assert sukarasa.time_zone_name == "Asia/Jakarta"
    again = runner.invoke(args=["regions", "add-city", "3273"])
    assert "0 kelurahan ditambahkan, 151 sudah terdaftar" in again.output
    assert _count(app, Kelurahan) == 151


def test_add_city_refuses_an_unknown_or_malformed_code(app, runner):
    for code, message in (("99.99", "tidak ada di daftar"), ("327", "4 digit")):
        result = runner.invoke(args=["regions", "add-city", code])
        assert result.exit_code != 0 and message in result.output
    assert _count(app, Kelurahan) == 0


def _csv(tmp_path, text: str):
    path = tmp_path / "rt.csv"
    path.write_text(text)
    return str(path)


def test_rt_sheet_adds_missing_rws_and_rts_and_keeps_existing_ones(app, runner, world, tmp_path):
    before_tamansari = _count(app, Rt, Rt.kelurahan_id == world.kelurahan_id)  # 3 RTs in 2 RWs
    sheet = _csv(
        tmp_path,
        "Kode Kelurahan;RW;Jumlah RT\n32.73.02.1003;1;4\n3273021003;3;2\n3273031002;1;1\n",
    )
    result = runner.invoke(args=["regions", "rt-sheet", sheet])
    assert result.exit_code == 0, result.output
    assert "2 kelurahan: 1 RW dan 4 RT ditambahkan." in result.output
    assert _count(app, Rt, Rt.kelurahan_id == world.kelurahan_id) == before_tamansari + 4
    with app.app_context():
        rw1 = db.session.scalar(
            sa.select(Rw).where(Rw.kelurahan_id == world.kelurahan_id, Rw.number == 1)
        )
        assert [rt.number for rt in rw1.rts] == [1, 2, 3, 4]
    again = runner.invoke(args=["regions", "rt-sheet", sheet])
    assert "0 RW dan 0 RT ditambahkan" in again.output


def test_rt_sheet_reports_bad_rows_by_row_and_column_and_saves_nothing(
    app, runner, world, tmp_path
):
    before = _count(app, Rt)
    sheet = _csv(
        tmp_path,
        "kode kelurahan,rw,jumlah rt\n3273021003,5,3\n9999999999,1,1\n3273021003,x,200\n",
    )
    result = runner.invoke(args=["regions", "rt-sheet", sheet])
    assert result.exit_code != 0
    assert "Baris 3, kolom kode kelurahan: 9999999999 bukan kelurahan yang terdaftar" in (
        result.output
    )
    assert "Baris 4, kolom rw: isi angka 1-99, bukan 'x'" in result.output
    assert "Baris 4, kolom jumlah rt: isi angka 1-99, bukan '200'" in result.output
    assert _count(app, Rt) == before
    missing = runner.invoke(args=["regions", "rt-sheet", _csv(tmp_path, "kode,rt\n1,2\n")])
    assert "Baris 1: kolom tidak ditemukan: rw" in missing.output


def _xlsx(rows) -> io.BytesIO:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def test_admin_adds_a_city_and_its_rts_on_the_kelurahan_page(app, client, login_as, world):
    login_as("admin")
    page = client.get("/admin/kelurahan/").get_data(as_text=True)
    assert "Tambah seluruh kota" in page and "RW dan RT dari berkas" in page
    refused = client.post("/admin/kelurahan/kota", data={"city_code": "99.99"})
    assert "tidak ada di daftar kabupaten/kota" in refused.get_data(as_text=True)
    assert 'value="99.99"' in refused.get_data(as_text=True)
    done = client.post("/admin/kelurahan/kota", data={"city_code": "64.72"}, follow_redirects=True)
    assert "Kota Samarinda: 59 kelurahan ditambahkan" in done.get_data(as_text=True)
    assert _count(app, Kelurahan, Kelurahan.code.startswith("6472")) == 59
    with app.app_context():
        zone = db.session.scalar(sa.select(Kelurahan).where(Kelurahan.code.startswith("6472")))
        assert zone.time_zone_name == "Asia/Makassar"  # WITA, from the province
        code = zone.code
    sheet = _xlsx([["kode kelurahan", "rw", "jumlah rt"], [int(code), 1, 3], [code, 2, 2]])
    uploaded = client.post(
        "/admin/kelurahan/rt",
        data={"sheet": (sheet, "rt.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "1 kelurahan: 2 RW dan 5 RT ditambahkan." in uploaded.get_data(as_text=True)
    bad = _xlsx([["kode kelurahan", "rw", "jumlah rt"], [code, 0, 3]])
    refused = client.post(
        "/admin/kelurahan/rt", data={"sheet": (bad, "rt.xlsx")}, content_type="multipart/form-data"
    )
    assert "Baris 2, kolom rw: isi angka 1-99, bukan &#39;0&#39;" in refused.get_data(as_text=True)


def test_setting_up_a_city_is_for_admins_only(client, login_as, world):
    for role in ("staff", "dinas", "kecamatan"):
        login_as(role)
        assert client.post("/admin/kelurahan/kota", data={"city_code": "32.73"}).status_code == 403
        client.post("/logout")
