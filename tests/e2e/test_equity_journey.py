"""Staff follow the fairness indicators week by week; residents see suppressed statistics."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from pypdf import PdfReader

from nutera.equity import snapshots
from nutera.extensions import db
from nutera.models import Kelurahan
from nutera.programs.services import install_defaults
from nutera.timeutil import utcnow
from tests.e2e.conftest import wait_until


@pytest.fixture(scope="module")
def weekly_snapshots(live_app):
    """The demo's rules, and snapshots of the last three weeks with the campaign marked."""
    with live_app.app_context():
        kelurahan = db.session.scalar(sa.select(Kelurahan).where(Kelurahan.code == "3273091002"))
        install_defaults(db.session, kelurahan)
        now = utcnow()
        for weeks in (2, 1, 0):
            snapshots.take_snapshot(
                db.session, kelurahan.id, "harian", now - timedelta(weeks=weeks)
            )
        snapshots.set_campaign_start(db.session, kelurahan.id, (now - timedelta(weeks=1)).date())
        db.session.commit()


def _sign_in(page, live_server, live_app):
    page.goto(live_server + "/login")
    page.get_by_label("Nama pengguna").fill("petugas")
    page.get_by_label("Kata sandi").fill(live_app.demo_accounts["petugas"])
    page.get_by_role("button", name="Masuk").click()


def test_staff_switch_program_and_rw_see_the_trend_and_download_the_report(
    page, live_server, live_app, weekly_snapshots
):
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, live_server, live_app)
    page.goto(live_server + "/pemerataan")
    expect(page.get_by_role("heading", name="Tingkat Pemerataan Bantuan")).to_be_visible()
    expect(page.locator('[data-indicator="coverage"]')).to_contain_text("%")
    page.get_by_label("Program").select_option("PKH")
    page.wait_for_url("**program=PKH**")
    expect(page.locator("h2").first).to_contain_text("Program Keluarga Harapan")
    page.get_by_label("RW", exact=True).select_option("3")
    page.wait_for_url("**rw=3**")
    expect(page.locator("h2").first).to_contain_text("RW 03")
    wait_until(page, "document.getElementById('equity-trend').dataset.drawn === '3'")
    assert page.evaluate("document.getElementById('equity-trend').width") > 0

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Unduh laporan bulanan (PDF)").click()
    pdf = PdfReader(io.BytesIO(open(download_info.value.path(), "rb").read()))
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Laporan Bulanan Tingkat Pemerataan Bantuan" in text and "PKH" in text

    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    wait_until(page, "document.getElementById('equity-trend').dataset.drawn === '3'")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_resident_sees_statistics_with_small_cells_suppressed(
    phone, live_server, weekly_snapshots
):
    phone.goto(live_server + "/statistik")
    expect(phone.get_by_role("heading", name="Statistik pemerataan bantuan")).to_be_visible()
    expect(phone.locator('[data-stat-program="PKH"]')).to_have_text("1.073")
    table = phone.locator('[data-stat-table="ATM-BERAS"]')
    expect(table).to_be_visible()
    # ATM Beras reaches 250 households over 20 RWs: some RW counts are below five.
    assert table.locator("td", has_text="<5").count() > 0
    wait_until(phone, "document.getElementById('rw-chart').width > 0")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
