"""One time module: UTC stored, the kelurahan's own zone shown (WIB, WITA, WIT)."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from nutera import timeutil
from nutera.extensions import db
from nutera.formatting import date_id
from nutera.models import Kelurahan, Refresh
from nutera.regions.services import KelurahanInput, create_kelurahan
from tests import factories

MOMENT = datetime(2026, 11, 22, 7, 32, tzinfo=UTC)
# Kemendagri codes: Taman Sari (Bandung, WIB), Rawa Makmur (Samarinda, WITA), Gurabesi
# (Kota Jayapura, WIT).
PLACES = [("3273091002", "14.32", "WIB"), ("6472011001", "15.32", "WITA"),
          ("9171011001", "16.32", "WIT")]  # fmt: skip


@pytest.mark.parametrize("code, shown, label", PLACES)
def test_kelurahan_zone_comes_from_its_province(app_ctx, code, shown, label):
    kelurahan = create_kelurahan(db.session, KelurahanInput(code, rts_per_rw="1"))
    assert timeutil.zone_label(kelurahan) == label
    assert timeutil.format_time(MOMENT, kelurahan) == shown
    assert timeutil.format_datetime(MOMENT, kelurahan) == f"22 November 2026 {shown} {label}"
    # SQLite hands stored times back naive: they are UTC.
    assert timeutil.format_time(MOMENT.replace(tzinfo=None), kelurahan) == shown


def test_a_kelurahan_may_have_its_own_zone(app_ctx):
    kelurahan = create_kelurahan(
        db.session, KelurahanInput("6472011001", time_zone="Asia/Jakarta", rts_per_rw="1")
    )
    assert timeutil.zone_label(kelurahan) == "WIB"


def test_local_today_is_the_kelurahan_s_date_not_the_server_s():
    # 16.30 UTC on 22 November is already 23 November in WITA (00.30) and WIT (01.30).
    late = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)
    assert timeutil.to_local(late, "Asia/Jakarta").date() == date(2026, 11, 22)
    assert timeutil.to_local(late, "Asia/Makassar").date() == date(2026, 11, 23)
    assert timeutil.to_local(late, "Asia/Jayapura").date() == date(2026, 11, 23)
    assert timeutil.day_start_utc(date(2026, 11, 23), "Asia/Jayapura") == datetime(
        2026, 11, 22, 15, 0, tzinfo=UTC
    )


@pytest.mark.parametrize("code, shown, label", PLACES)
def test_pages_show_times_in_the_staff_member_s_kelurahan_zone(app, client, auth, code, shown,
                                                                label):  # fmt: skip
    with app.app_context():
        kelurahan = create_kelurahan(db.session, KelurahanInput(code, rts_per_rw="1"))
        user = factories.make_user(db.session, f"staf{code}", "staff", kelurahan)
        refresh = Refresh(
            kelurahan_id=kelurahan.id,
            source="DTKS",
            filename="x.csv",
            stored_path="/nonexistent/x.csv",
            sha256="0" * 64,
            status="gagal",
            created_by_id=user.id,
            layout={"kind": "csv", "sheets": []},
            mapping={},
            created_at=MOMENT,
        )
        db.session.add(refresh)
        db.session.commit()
        refresh_id, username = refresh.id, user.username
    auth.login(username)
    page = client.get(f"/pemutakhiran/{refresh_id}").get_data(as_text=True)
    assert f"Diunggah 22 November 2026 {shown}" in page
    # Jinja filters call the module; outside a request the default zone (WIB) applies.
    with app.app_context():
        assert date_id(MOMENT) == "22 November 2026 14.32"
        kelurahan = db.session.scalar(sa.select(Kelurahan).where(Kelurahan.code == code))
        assert date_id(MOMENT, kelurahan) == f"22 November 2026 {shown}"


def test_receipts_name_the_zone_of_the_event_s_kelurahan(app_ctx):
    from nutera.distribution.pdfs import when

    kelurahan = create_kelurahan(db.session, KelurahanInput("6472011001", rts_per_rw="1"))
    assert when(MOMENT, kelurahan) == "22 November 2026 15.32 WITA"


def test_public_complaint_status_shows_the_kelurahan_s_time(app, client):
    from tests.factories_complaints import make_complaint

    with app.app_context():
        kelurahan = create_kelurahan(db.session, KelurahanInput("9171011001", rts_per_rw="1"))
        complaint = make_complaint(db.session, kelurahan.id)
        complaint.created_at = MOMENT
        db.session.commit()
        code = complaint.code
    page = client.get(f"/pengaduan/{code}").get_data(as_text=True)
    assert "22 November 2026 16.32" in page  # WIT: UTC+9
