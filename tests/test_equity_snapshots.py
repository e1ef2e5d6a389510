"""Snapshots (manual, nightly, after a refresh commit), the weekly trend, dashboard, PDF, CLI."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from nutera.equity import snapshots
from nutera.extensions import db
from nutera.models import EquitySnapshot, EquitySnapshotRow, Kelurahan, TargetingCase
from nutera.programs.services import save_rule
from tests import factories

RULE = {"all": [{"attr": "desil", "op": "le", "value": 4}]}
MONDAY = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)  # ISO week 41


@pytest.fixture
def bpnt(app_ctx, world):
    """Tamansari's BPNT: RW 01 has 2 eligible (1 receiving), RW 02 has 1 eligible (receiving)."""
    kelurahan = db.session.get(Kelurahan, world.kelurahan_id)
    program = factories.make_program(db.session, kelurahan, "BPNT")
    save_rule(db.session, program, RULE, None)
    households = []
    for rw, desil, receives in ((1, 2, True), (1, 3, False), (2, 1, True), (2, 8, False)):
        household = factories.make_household(db.session, factories.rt_of(kelurahan, rw, 1))
        household.desil = desil
        if receives:
            factories.enroll(db.session, program, household)
        households.append(household)
    db.session.commit()
    return kelurahan, program, households


def test_snapshot_stores_counts_per_program_and_rw(bpnt):
    kelurahan, program, _ = bpnt
    snapshot = snapshots.take_snapshot(db.session, kelurahan.id, "manual", MONDAY)
    db.session.commit()
    rows = {
        r.rw_id: (r.eligible, r.recipients, r.covered)
        for r in db.session.scalars(
            sa.select(EquitySnapshotRow).where(EquitySnapshotRow.snapshot_id == snapshot.id)
        )
    }
    rw1, rw2 = (factories.rt_of(kelurahan, n, 1).rw_id for n in (1, 2))
    assert rows == {rw1: (2, 1, 1), rw2: (1, 1, 1)}


def test_trend_keeps_the_last_snapshot_of_each_week(bpnt):
    kelurahan, program, households = bpnt
    snapshots.take_snapshot(db.session, kelurahan.id, "harian", MONDAY)
    # Later the same week the second eligible household of RW 01 starts receiving.
    factories.enroll(db.session, program, households[1])
    snapshots.take_snapshot(db.session, kelurahan.id, "harian", MONDAY + timedelta(days=3))
    snapshots.take_snapshot(db.session, kelurahan.id, "harian", MONDAY + timedelta(days=7))
    db.session.commit()
    points = snapshots.trend(db.session, kelurahan.id, program.id)
    assert [p.week for p in points] == ["2026-W41", "2026-W42"]
    assert [p.counts.coverage for p in points] == [1.0, 1.0]  # 3 of 3 after the enrolment
    rw1 = snapshots.trend(db.session, kelurahan.id, program.id, rw_number=1)
    assert [p.counts.eligible for p in rw1] == [2, 2]


def test_trend_week_by_week_shows_improvement(bpnt):
    kelurahan, program, households = bpnt
    snapshots.take_snapshot(db.session, kelurahan.id, "harian", MONDAY)
    factories.enroll(db.session, program, households[1])
    snapshots.take_snapshot(db.session, kelurahan.id, "harian", MONDAY + timedelta(days=7))
    db.session.commit()
    points = snapshots.trend(db.session, kelurahan.id, program.id)
    assert [round(p.counts.coverage, 3) for p in points] == [round(2 / 3, 3), 1.0]


def test_nightly_cli_snapshots_every_kelurahan(app, runner, world):
    result = runner.invoke(args=["equity", "snapshot"])
    assert result.exit_code == 0 and "2 kelurahan" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EquitySnapshot)) == 2


def test_refresh_commit_takes_a_snapshot_and_confirms_the_households(app_ctx, tmp_path):
    from nutera.audit import Actor
    from nutera.models import Household
    from nutera.refresh import commit, staging
    from tests.factories_refresh import copy_sample, make_sample_kelurahan

    kelurahan = make_sample_kelurahan(db.session)
    db.session.commit()
    path = copy_sample("dtks_tamansari_semicolon.csv", tmp_path)
    refresh = staging.create_refresh(db.session, kelurahan.id, None, "DTKS", path, path.name)
    staging.analyse(db.session, refresh)
    commit.commit_refresh(db.session, refresh, Actor(None, "test"))
    db.session.commit()
    snapshot = db.session.scalar(sa.select(EquitySnapshot))
    assert snapshot.trigger == "pemutakhiran" and snapshot.refresh_id == refresh.id
    confirmed = db.session.scalar(
        sa.select(sa.func.count()).where(Household.refresh_confirmed_at.is_not(None))
    )
    assert confirmed > 0


def test_dashboard_switches_program_and_rw_and_serves_the_trend(client, login_as, bpnt):
    kelurahan, program, _ = bpnt
    snapshots.take_snapshot(db.session, kelurahan.id, "harian", MONDAY)
    snapshots.set_campaign_start(db.session, kelurahan.id, date(2026, 10, 6))
    db.session.commit()
    login_as("staff")
    page = client.get("/pemerataan?program=BPNT&rw=1").get_data(as_text=True)
    assert 'data-indicator="coverage">50,0%' in page  # RW 01: 1 of 2
    assert "/pemerataan/tren.json?program=BPNT&amp;rw=1" in page
    assert "equity-trend.js" in page and "<script>" not in page
    whole = client.get("/pemerataan?program=BPNT").get_data(as_text=True)
    assert 'data-indicator="coverage">66,7%' in whole and 'data-indicator="gini"' in whole
    data = client.get("/pemerataan/tren.json?program=BPNT&rw=1").get_json()
    assert data["weeks"] == ["2026-W41"] and data["coverage"] == [50.0]
    assert data["campaign_week"] == "2026-W41"


def test_dashboard_is_for_staff_of_the_kelurahan_only(client, login_as, bpnt):
    login_as("volunteer")
    assert client.get("/pemerataan").status_code == 403
    assert client.get("/pemerataan/tren.json?program=BPNT").status_code == 403
    assert client.get("/pemerataan/laporan.pdf").status_code == 403


def test_other_kelurahan_staff_cannot_read_this_trend(client, login_as, bpnt):
    login_as("other_staff")
    # Their own kelurahan has no BPNT: the program of Tamansari does not exist for them.
    assert client.get("/pemerataan/tren.json?program=BPNT").status_code == 404
    assert client.get(f"/pemerataan?kelurahan_id={bpnt[0].id}").status_code == 200
    page = client.get(f"/pemerataan?kelurahan_id={bpnt[0].id}").get_data(as_text=True)
    assert "Tamansari" not in page


def test_monthly_pdf_has_indicators_trend_worst_rws_and_resolved_cases(client, login_as, bpnt):
    kelurahan, program, households = bpnt
    snapshots.take_snapshot(db.session, kelurahan.id, "harian", MONDAY)
    db.session.add(
        TargetingCase(
            kelurahan_id=kelurahan.id,
            program_id=program.id,
            household_id=households[1].id,
            kind="exclusion",
            decision="usul_tambah",
            decided_at=datetime(2026, 10, 20, 3, 0, tzinfo=UTC),
        )
    )
    db.session.commit()
    login_as("staff")
    response = client.get("/pemerataan/laporan.pdf?bulan=2026-10")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Laporan Bulanan Tingkat Pemerataan Bantuan" in text
    assert "Kelurahan Tamansari - Oktober 2026" in text
    assert "BPNT" in text and "66,7%" in text  # coverage 2 of 3
    assert "RW dengan cakupan terendah" in text and "RW 01: 50,0%" in text
    assert "Jumlah kasus diputuskan: 1" in text and "Diusulkan masuk: 1" in text
    assert client.get("/pemerataan/laporan.pdf?bulan=oktober").status_code == 404


def test_monthly_pdf_from_the_cli(app, runner, bpnt, tmp_path):
    out = tmp_path / "laporan.pdf"
    result = runner.invoke(
        args=[
            "equity",
            "report",
            "--kelurahan",
            "3273021003",
            "--month",
            "2026-10",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Tingkat Pemerataan" in PdfReader(str(out)).pages[0].extract_text()


def test_admin_sees_coverage_of_every_kelurahan_from_the_city_query(client, login_as, bpnt):
    login_as("admin")
    page = client.get("/pemerataan").get_data(as_text=True)
    assert 'data-kelurahan="3273021003"' in page and 'data-kelurahan="3273031002"' in page
    assert "66,7%" in page  # Tamansari's BPNT: 2 of 3 eligible receive
    detail = client.get(f"/pemerataan?kelurahan_id={bpnt[0].id}&program=BPNT")
    assert 'data-indicator="coverage">66,7%' in detail.get_data(as_text=True)
    assert client.get("/pemerataan?kelurahan_id=999999").status_code == 404
