"""Dinas and kecamatan on the complaint desk: they read, masked, logged, and change nothing."""

import pytest
import sqlalchemy as sa

from nutera.complaints.reading import mask_phone
from nutera.extensions import db
from nutera.models import AuditLog, Complaint, ComplaintNote, Kelurahan, User
from tests import factories
from tests.factories_complaints import make_complaint

DESK = "/meja-pengaduan"
READERS = ["dinas", "kecamatan"]


def _complaint(app, world, **fields) -> int:
    with app.app_context():
        complaint = make_complaint(
            db.session,
            world.kelurahan_id,
            reporter_name="Ujang Pelapor",
            reporter_phone="081311112222",
            subject_nik="3273024404840001",
            **fields,
        )
        db.session.commit()
        return complaint.id


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize("kind", [{"anonymous": True}, {"confidential": True}])
def test_reporter_of_anonim_and_rahasia_complaints_is_never_shown(
    client, login_as, app, world, role, kind
):
    complaint_id = _complaint(app, world, **kind)
    login_as(role)
    page = client.get(f"{DESK}/{complaint_id}").get_data(as_text=True)
    assert "Ujang" not in page and "0813" not in page and "2222" not in page
    assert "Tidak ditampilkan" in page
    listing = client.get(DESK).get_data(as_text=True)
    assert "Ujang" not in listing and "0813" not in listing


@pytest.mark.parametrize("role", READERS)
def test_other_personal_data_is_masked_for_readers(client, login_as, app, world, role):
    complaint_id = _complaint(app, world)
    login_as(role)
    page = client.get(f"{DESK}/{complaint_id}").get_data(as_text=True)
    assert "Ujang Pelapor" not in page and "081311112222" not in page
    assert "Uja** Pel****" in page and "0813******22" in page
    assert "3273024404840001" not in page and "327302******0001" in page
    # Staff of the kelurahan still see the named reporter in full (the staff rule).
    client.post("/logout")
    login_as("staff")
    staff_page = client.get(f"{DESK}/{complaint_id}").get_data(as_text=True)
    assert "Ujang Pelapor" in staff_page and "081311112222" in staff_page


def test_mask_phone_keeps_only_the_ends():
    assert mask_phone("081234567890") == "0812******90"
    assert mask_phone("12345") == "*****"


@pytest.mark.parametrize("role", READERS)
def test_readers_get_no_write_control_and_every_write_is_refused(
    client, login_as, app, world, role
):
    complaint_id = _complaint(app, world)
    with app.app_context():
        db.session.add(
            ComplaintNote(
                kelurahan_id=world.kelurahan_id,
                complaint_id=complaint_id,
                author_id=world.user_ids["staff"],
                body="Sudah dicek ke rumahnya.",
                public=False,
            )
        )
        db.session.commit()
    login_as(role)
    page = client.get(f"{DESK}/{complaint_id}", query_string={"cari": "3273024404840001"})
    html = page.get_data(as_text=True)
    main = html.split("<main")[1].split("</main>")[0]
    assert page.status_code == 200 and "<form" not in main and "<button" not in main
    assert "Sudah dicek ke rumahnya." in main  # the handling is what they follow
    assert "Tugas saya" not in client.get(DESK).get_data(as_text=True)
    before = _state(app, complaint_id)
    for path, data in (
        ("status", {"status": "terverifikasi"}),
        ("catatan", {"body": "dari dinas", "public": "y"}),
        ("tugaskan", {"assignee": world.user_ids["staff"]}),
        ("tautkan", {"person_id": ""}),
        ("jadikan-tugas", {"note": ""}),
        ("tinjau-sasaran", {"note": ""}),
    ):
        assert client.post(f"{DESK}/{complaint_id}/{path}", data=data).status_code == 403
    assert _state(app, complaint_id) == before


def _state(app, complaint_id):
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        notes = db.session.scalar(
            sa.select(sa.func.count()).where(ComplaintNote.complaint_id == complaint_id)
        )
        return complaint.status, complaint.assigned_to_id, notes


@pytest.mark.parametrize("role", READERS)
def test_readers_views_are_written_to_the_audit_log_of_the_kelurahan(
    client, login_as, app, world, role
):
    complaint_id = _complaint(app, world)
    login_as(role)
    client.get(DESK)
    client.get(f"{DESK}/{complaint_id}")
    with app.app_context():
        rows = db.session.execute(
            sa.select(AuditLog.entity_id, AuditLog.kelurahan_id, AuditLog.changes).where(
                AuditLog.action == "lihat",
                AuditLog.entity == "complaint",
                AuditLog.user_id == world.user_ids[role],
            )
        ).all()
    listed = [r for r in rows if r.changes["event"] == "desk_list"]
    opened = [r for r in rows if r.changes["event"] == "desk_read"]
    assert [(r.kelurahan_id, r.changes["complaint_ids"]) for r in listed] == [
        (world.kelurahan_id, [complaint_id])
    ]
    assert [(r.entity_id, r.kelurahan_id) for r in opened] == [(complaint_id, world.kelurahan_id)]
    assert all(r.changes["role"] == role for r in rows)
    # The kelurahan's staff see who read their desk.
    client.post("/logout")
    login_as("staff")
    with app.app_context():
        reader = db.session.get(User, world.user_ids[role])
        name = reader.full_name
    assert name in client.get("/admin/audit").get_data(as_text=True)


def test_staff_reads_are_not_logged_as_reader_views(client, login_as, app, world):
    complaint_id = _complaint(app, world)
    login_as("staff")
    client.get(DESK)
    client.get(f"{DESK}/{complaint_id}")
    with app.app_context():
        assert not db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "lihat"))


def test_photos_stay_with_kelurahan_staff(client, login_as, app, world):
    login_as("dinas")
    assert client.get(f"{DESK}/foto/1").status_code == 403


@pytest.mark.parametrize("role", ["dinas", "kecamatan"])
def test_reader_sees_a_household_masked_and_the_view_is_logged(client, login_as, app, world, role):
    """The desk links a complaint to its KK: that page must not give back the NIK it masks."""
    nik = "3273024404840001"
    with app.app_context():
        kelurahan = db.session.get(Kelurahan, world.kelurahan_id)
        household = factories.make_household(
            db.session,
            factories.rt_of(kelurahan, 1, 1),
            [{"name": "SITI AMINAH", "relation": "kepala", "nik": nik}],
        )
        db.session.commit()
        household_id = household.id
    login_as(role)
    page = client.get(f"/registri/kk/{household_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert nik not in text and "327302******0001" in text
    assert "14 Maret 1985" not in text and "1985" in text
    with app.app_context():
        logged = db.session.scalars(
            sa.select(AuditLog).where(
                AuditLog.user_id == world.user_ids[role],
                AuditLog.entity == "household",
                AuditLog.entity_id == household_id,
                AuditLog.action == "lihat",
            )
        ).all()
    assert len(logged) == 1 and logged[0].kelurahan_id == world.kelurahan_id


def test_staff_still_see_the_full_nik_of_their_households(client, login_as, app, world):
    with app.app_context():
        kelurahan = db.session.get(Kelurahan, world.kelurahan_id)
        household = factories.make_household(
            db.session,
            factories.rt_of(kelurahan, 1, 1),
            [{"name": "SITI AMINAH", "relation": "kepala", "nik": "3273024404840001"}],
        )
        db.session.commit()
        household_id = household.id
    login_as("staff")
    assert "3273024404840001" in client.get(f"/registri/kk/{household_id}").get_data(as_text=True)
