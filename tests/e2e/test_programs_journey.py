"""A resident on a phone reads the programs, self-checks, looks up a NIK, and is rate limited."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from nutera.extensions import db
from nutera.models import AidProgram, Enrollment, Kelurahan, Person
from nutera.programs.services import install_defaults
from tests.e2e.conftest import wait_until


@pytest.fixture(scope="module")
def enrolled_person(live_app):
    """Give the demo programs their pages and rules; return a PKH recipient's NIK and name."""
    with live_app.app_context():
        kelurahan = db.session.scalar(sa.select(Kelurahan).where(Kelurahan.code == "3273091002"))
        install_defaults(db.session, kelurahan)
        db.session.commit()
        nik, name = db.session.execute(
            sa.select(Person.nik, Person.name)
            .join(Enrollment, Enrollment.household_id == Person.household_id)
            .join(AidProgram, AidProgram.id == Enrollment.program_id)
            .where(AidProgram.code == "PKH", Person.relation == "kepala")
            .order_by(Person.id)
            .limit(1)
        ).one()
        return nik, name


def test_program_list_self_check_lookup_and_rate_limit(phone, live_server, enrolled_person):
    nik, name = enrolled_person
    phone.goto(live_server + "/program")
    expect(phone.get_by_role("heading", name="Program bantuan sosial")).to_be_visible()
    expect(phone.locator('[data-program-card="PKH"]')).to_contain_text("Program Keluarga Harapan")
    expect(phone.locator('[data-program-card="BPNT"]')).to_contain_text("Desil kesejahteraan")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.get_by_role("link", name="Cek apakah Anda mungkin memenuhi syarat").click()
    phone.get_by_label("Jumlah anggota keluarga (satu KK)").fill("4")
    phone.get_by_label("Penghasilan seluruh keluarga per bulan (Rp)").fill("3.000.000")
    phone.locator("#asn-tidak").check()
    phone.locator("#balita-ya").check()
    phone.locator("#hamil-ya").check()
    phone.get_by_label(
        "Desil kesejahteraan di DTSEN (lihat cekbansos.kemensos.go.id)"
    ).select_option("3")
    phone.get_by_role("button", name="Lihat hasil").click()
    pkh = phone.locator('[data-result="PKH"]')
    expect(pkh).to_contain_text("Mungkin memenuhi")
    expect(pkh).to_contain_text("desil kesejahteraan (DTSEN/DTKS) 3 tidak melebihi batas 4")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.goto(live_server + "/cek")
    phone.get_by_label("NIK (16 digit)").fill(nik)
    phone.get_by_label("Nama lengkap sesuai KTP").fill("  " + name.lower() + " ")
    phone.get_by_role("button", name="Cek").click()
    result = phone.locator("#cek-result")
    expect(result).to_be_visible()
    expect(phone.locator('[data-field="masked-name"]')).to_contain_text("*")
    expect(phone.locator('[data-program="PKH"]')).to_contain_text("Aktif")
    assert name not in phone.content() and nik not in phone.content()

    phone.goto(live_server + "/cek")
    phone.get_by_label("NIK (16 digit)").fill(nik)
    phone.get_by_label("Nama lengkap sesuai KTP").fill("Nama Yang Salah")
    phone.get_by_role("button", name="Cek").click()
    expect(phone.get_by_text("Data tidak ditemukan.")).to_be_visible()

    for _ in range(12):
        if "Terlalu banyak permintaan" in phone.content():
            break
        phone.get_by_label("NIK (16 digit)").fill(nik)
        phone.get_by_label("Nama lengkap sesuai KTP").fill("Nama Yang Salah")
        with phone.expect_navigation():  # the answer page has the same form: wait for it
            phone.get_by_role("button", name="Cek").click()
    expect(phone.get_by_role("heading", name="Terlalu banyak permintaan")).to_be_visible()


def test_statistics_chart_is_drawn(phone, live_server, enrolled_person):
    phone.goto(live_server + "/statistik")
    expect(phone.locator('[data-stat-program="PKH"]')).to_have_text("1.073")
    wait_until(phone, "document.getElementById('rw-chart').width > 0")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
