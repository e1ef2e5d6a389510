"""A kelurahan is added by its Kemendagri code: name, kecamatan and kota come from the list."""

import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import Kelurahan, Rt


def kelurahan_of(app, code):
    with app.app_context():
        found = db.session.scalar(sa.select(Kelurahan).where(Kelurahan.code == code))
        if found is not None:
            db.session.expunge(found)
        return found


def test_cli_adds_a_kelurahan_by_code(app, runner):
    result = runner.invoke(
        args=["regions", "add-kelurahan", "32.73.09.1002", "--kode-pos", "40116",
              "--rt-per-rw", "3,2"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Taman Sari" in result.output and "WIB" in result.output
    kelurahan = kelurahan_of(app, "3273091002")
    assert (kelurahan.name, kelurahan.kecamatan, kelurahan.kota) == (
        "Taman Sari",
        "Bandung Wetan",
        "Kota Bandung",
    )
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Rt.id)).where(Rt.kelurahan_id == kelurahan.id)
            )
            == 5
        )
    again = runner.invoke(args=["regions", "add-kelurahan", "3273091002"])
    assert again.exit_code != 0 and "sudah terdaftar" in again.output
    unknown = runner.invoke(args=["regions", "add-kelurahan", "3273099999"])
    assert unknown.exit_code != 0 and "32.73.09.9999 tidak ada di daftar" in unknown.output
    shown = runner.invoke(args=["regions", "show", "6472011001"])
    assert "Rawa Makmur" in shown.output and "Kota Samarinda" in shown.output
    assert "WITA" in shown.output


def test_admin_page_adds_a_kelurahan_by_code_and_keeps_a_refused_entry(app, client, login_as):
    login_as("admin")
    page = client.get("/admin/kelurahan/")
    assert page.status_code == 200
    refused = client.post(
        "/admin/kelurahan/", data={"code": "91.71.01.9999", "kode_pos": "99111"}
    ).get_data(as_text=True)
    assert "tidak ada di daftar" in refused and 'value="91.71.01.9999"' in refused
    done = client.post(
        "/admin/kelurahan/",
        data={"code": "9171011001", "kode_pos": "99111", "rts_per_rw": "2"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Gurabesi" in done and "WIT" in done
    kelurahan = kelurahan_of(app, "9171011001")
    assert kelurahan.kota == "Kota Jayapura" and kelurahan.time_zone_name == "Asia/Jayapura"


def test_only_admins_manage_kelurahan(client, login_as):
    login_as("staff")
    assert client.get("/admin/kelurahan/").status_code in (403, 404)
    assert client.post("/admin/kelurahan/", data={"code": "9171011001"}).status_code in (403, 404)
