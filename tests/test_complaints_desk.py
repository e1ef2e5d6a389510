"""The staff desk: scoping, the anonim rule, the workflow, SLA, links and conversions."""

import io
from datetime import date, timedelta

import sqlalchemy as sa

from nutera.complaints import services
from nutera.complaints.queries import QueueFilters, complaint_queue
from nutera.extensions import db
from nutera.models import (
    AuditLog,
    Complaint,
    ComplaintNote,
    Household,
    Kelurahan,
    Setting,
    SurveyTask,
    TargetingCase,
    User,
)
from tests import factories
from tests.factories_complaints import jpeg_with_gps, make_complaint, rt_id

DESK = "/meja-pengaduan"


def new_complaint(app, world, kelurahan="own", **fields) -> tuple[int, str]:
    """(id, code) of a fresh complaint in Tamansari (or in the other kelurahan)."""
    with app.app_context():
        kelurahan_id = world.kelurahan_id if kelurahan == "own" else world.other_kelurahan_id
        complaint = make_complaint(db.session, kelurahan_id, **fields)
        db.session.commit()
        return complaint.id, complaint.code


def load(app, complaint_id) -> Complaint:
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        db.session.expunge(complaint)
        return complaint


def post_status(client, complaint_id, status, reason=""):
    return client.post(f"{DESK}/{complaint_id}/status", data={"status": status, "reason": reason})


def test_desk_is_for_staff_and_admin_only(client, app, world, login_as):
    complaint_id, _ = new_complaint(app, world)
    assert client.get(DESK).status_code == 302  # to the login page
    login_as("volunteer")
    assert client.get(DESK).status_code == 403
    assert client.get(f"{DESK}/{complaint_id}").status_code == 403


def test_other_kelurahan_complaints_do_not_exist_for_staff(client, app, world, login_as):
    own_id, own_code = new_complaint(app, world)
    other_id, other_code = new_complaint(app, world, kelurahan="other")
    login_as("staff")
    page = client.get(DESK).get_data(as_text=True)
    assert own_code in page and other_code not in page
    assert client.get(f"{DESK}/{other_id}").status_code == 404
    assert post_status(client, other_id, "terverifikasi").status_code == 404
    assert client.post(f"{DESK}/{other_id}/catatan", data={"body": "x"}).status_code == 404
    assert load(app, other_id).status == "baru"


def test_admin_sees_every_kelurahan(client, app, world, login_as):
    _, own_code = new_complaint(app, world)
    _, other_code = new_complaint(app, world, kelurahan="other")
    login_as("admin")
    page = client.get(DESK).get_data(as_text=True)
    assert own_code in page and other_code in page


def test_anonim_reporter_is_hidden_from_all_but_the_assigned_staff(client, app, world, login_as):
    complaint_id, _ = new_complaint(
        app, world, anonymous=True, reporter_name="Ujang Anonim", reporter_phone="081311112222"
    )
    with app.app_context():
        second = factories.make_user(
            db.session, "petugas.dua", "staff", db.session.get(Kelurahan, world.kelurahan_id)
        )
        db.session.commit()
        second_id = second.id
    login_as("staff")
    page = client.get(f"{DESK}/{complaint_id}").get_data(as_text=True)
    assert "Ujang Anonim" not in page and "081311112222" not in page and "Anonim" in page
    # Assigned to the second staff member: still hidden from the first, and from the admin.
    client.post(f"{DESK}/{complaint_id}/tugaskan", data={"assignee": second_id})
    assert load(app, complaint_id).assigned_to_id == second_id
    assert "Ujang Anonim" not in client.get(f"{DESK}/{complaint_id}").get_data(as_text=True)
    # ...who cannot take it back to look at the reporter.
    response = client.post(
        f"{DESK}/{complaint_id}/tugaskan",
        data={"assignee": world.user_ids["staff"]},
        follow_redirects=True,
    )
    assert "sudah ditangani petugas lain" in response.get_data(as_text=True)
    assert load(app, complaint_id).assigned_to_id == second_id
    client.post("/logout")
    login_as("admin")
    assert "Ujang Anonim" not in client.get(f"{DESK}/{complaint_id}").get_data(as_text=True)
    client.post("/logout")
    client.post("/login", data={"username": "petugas.dua", "password": factories.PASSWORD})
    page = client.get(f"{DESK}/{complaint_id}").get_data(as_text=True)
    assert "Ujang Anonim" in page and "081311112222" in page


def test_named_reporter_is_visible_to_staff_of_the_kelurahan(client, app, world, login_as):
    complaint_id, _ = new_complaint(app, world, reporter_name="Ujang Terbuka")
    login_as("staff")
    assert "Ujang Terbuka" in client.get(f"{DESK}/{complaint_id}").get_data(as_text=True)


def test_reporter_identity_never_reaches_the_audit_log(client, app, world, login_as):
    complaint_id, _ = new_complaint(app, world, anonymous=True, reporter_name="Ujang Anonim")
    login_as("staff")
    client.post(f"{DESK}/{complaint_id}/tugaskan", data={"assignee": world.user_ids["staff"]})
    assert "Ujang Anonim" in client.get(f"{DESK}/{complaint_id}").get_data(as_text=True)
    client.post("/logout")
    login_as("admin")
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "assigned_to_id" in audit and "Ujang Anonim" not in audit


def test_assignment_only_to_active_staff_of_that_kelurahan(client, app, world, login_as):
    complaint_id, _ = new_complaint(app, world)
    login_as("staff")
    for user in ("other_staff", "volunteer", "admin"):
        response = client.post(
            f"{DESK}/{complaint_id}/tugaskan",
            data={"assignee": world.user_ids[user]},
            follow_redirects=True,
        )
        assert "Hanya petugas aktif kelurahan ini" in response.get_data(as_text=True)
    assert load(app, complaint_id).assigned_to_id is None


def test_full_workflow_with_public_answer_and_internal_note(client, app, world, login_as):
    complaint_id, code = new_complaint(app, world)
    login_as("staff")
    # Cannot answer publicly before verifying.
    response = client.post(
        f"{DESK}/{complaint_id}/catatan",
        data={"body": "Terlalu cepat", "public": "y"},
        follow_redirects=True,
    )
    assert "Verifikasi pengaduan dulu" in response.get_data(as_text=True)
    assert (
        post_status(client, complaint_id, "selesai").status_code == 422
    )  # refused, shown again with the reason
    assert load(app, complaint_id).status == "baru"  # refused: not answered yet

    post_status(client, complaint_id, "terverifikasi")
    complaint = load(app, complaint_id)
    assert complaint.status == "terverifikasi" and complaint.verified_at is not None
    assert complaint.answer_due == services.sla.answer_deadline(services.local_today())
    post_status(client, complaint_id, "diproses")
    client.post(f"{DESK}/{complaint_id}/catatan", data={"body": "Rumahnya kosong, cek lagi."})
    client.post(
        f"{DESK}/{complaint_id}/catatan",
        data={"body": "Bantuan dikirim ulang minggu ini.", "public": "y"},
    )
    assert load(app, complaint_id).status == "dijawab"
    post_status(client, complaint_id, "selesai")
    complaint = load(app, complaint_id)
    assert complaint.status == "selesai" and complaint.closed_at is not None

    public = client.get(f"/pengaduan/{code}").get_data(as_text=True)
    assert "Bantuan dikirim ulang minggu ini." in public and "Rumahnya kosong" not in public
    desk = client.get(f"{DESK}/{complaint_id}").get_data(as_text=True)
    assert "Rumahnya kosong" in desk and "Catatan internal" in desk

    with app.app_context():
        audited = db.session.execute(
            sa.select(AuditLog.entity, AuditLog.action, AuditLog.user_id).where(
                AuditLog.entity.in_(("complaint", "complaint_note"))
            )
        ).all()
    staff_id = world.user_ids["staff"]
    assert ("complaint_note", "create", staff_id) in audited
    assert sum(1 for row in audited if row == ("complaint", "update", staff_id)) >= 4


def test_reject_needs_a_reason_which_the_resident_sees(client, app, world, login_as):
    complaint_id, code = new_complaint(app, world)
    login_as("staff")
    response = post_status(client, complaint_id, "ditolak")
    assert load(app, complaint_id).status == "baru"
    assert response.status_code == 422
    assert "Alasan penolakan wajib diisi." in response.get_data(as_text=True)
    post_status(client, complaint_id, "ditolak", "Bukan wilayah Kelurahan Tamansari.")
    assert load(app, complaint_id).status == "ditolak"
    page = client.get(f"/pengaduan/{code}").get_data(as_text=True)
    assert "Bukan wilayah Kelurahan Tamansari." in page and "Ditolak" in page


def test_overdue_complaints_are_highlighted_and_filterable(client, app, world, login_as):
    today = services.local_today()
    late_id, late_code = new_complaint(app, world, received=today - timedelta(days=14))
    _, fresh_code = new_complaint(app, world, received=today)
    login_as("staff")
    page = client.get(DESK).get_data(as_text=True)
    late_row = page.split(f'data-complaint="{late_code}"')[0].rsplit("<a ", 1)[1]
    fresh_row = page.split(f'data-complaint="{fresh_code}"')[0].rsplit("<a ", 1)[1]
    assert "list-group-item-danger" in late_row and "list-group-item-danger" not in fresh_row
    overdue = client.get(DESK, query_string={"terlambat": "1"}).get_data(as_text=True)
    assert late_code in overdue and fresh_code not in overdue
    assert "terlambat" in client.get("/dasbor").get_data(as_text=True)
    detail = client.get(f"{DESK}/{late_id}").get_data(as_text=True)
    late_by = services.sla.working_days_between(load(app, late_id).verify_due, today)
    assert f"terlambat {late_by} hari kerja" in detail and late_by >= 6
    # Verifying starts the answer clock; it is no longer late for verification.
    post_status(client, late_id, "terverifikasi")
    overdue = client.get(DESK, query_string={"terlambat": "1"}).get_data(as_text=True)
    assert late_code not in overdue


def test_holiday_setting_moves_the_deadline(app, world):
    with app.app_context():
        db.session.add(Setting(kelurahan_id=None, key="hari_libur", value="2026-11-24"))
        db.session.flush()
        holidays = services.holidays_for(db.session, world.kelurahan_id)
        assert holidays == {date(2026, 11, 24)}
        assert services.sla.verify_deadline(date(2026, 11, 23), holidays) == date(2026, 11, 27)


def test_queue_filters(app, world):
    with app.app_context():
        staff = db.session.get(User, world.user_ids["staff"])
        usul = make_complaint(
            db.session,
            world.kelurahan_id,
            category="usul",
            rt_id=rt_id(db.session, world.kelurahan_id, 2, 1),
        )
        old = make_complaint(db.session, world.kelurahan_id, category="petugas", rt_id=None)
        old.created_at = old.created_at - timedelta(days=10)
        closed = make_complaint(db.session, world.kelurahan_id)
        closed.status = "selesai"
        db.session.commit()

        def codes(**filters):
            page = complaint_queue(staff, QueueFilters(**filters), date(2026, 11, 23), 1)
            return {c.code for c in page.items}

        assert codes(category="usul") == {usul.code}
        assert codes(rw=2) == {usul.code} and codes(rw=2, rt=1) == {usul.code}
        assert codes(older_than_days=7) == {old.code}
        assert codes(status="terbuka") == {usul.code, old.code}
        assert codes(status="selesai") == {closed.code}


def test_queue_pages_in_a_fixed_number_of_queries(app, world):
    with app.app_context():
        for _ in range(30):
            make_complaint(db.session, world.kelurahan_id)
        db.session.commit()
        staff = db.session.get(User, world.user_ids["staff"])
        statements = []
        sa.event.listen(
            db.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
        )
        page = complaint_queue(staff, QueueFilters(), date(2026, 11, 23), 1)
        [(c.rt.label, c.assigned_to) for c in page.items]
        assert len(page.items) == 25 and len(statements) <= 5


def test_photos_are_served_to_staff_of_that_kelurahan_only(client, app, world, login_as):
    with app.app_context():
        complaint = services.file_complaint(
            db.session,
            services.ComplaintInput(
                world.kelurahan_id, None, "lainnya", "Foto jalan rusak di depan rumah."
            ),
            [io.BytesIO(jpeg_with_gps())],
            date(2026, 11, 23),
        )
        db.session.commit()
        photo_id, complaint_id = complaint.photos[0].id, complaint.id
    url = f"{DESK}/foto/{photo_id}"
    assert client.get(url).status_code == 302
    login_as("other_staff")
    assert client.get(url).status_code == 404
    client.post("/logout")
    login_as("staff")
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert url in client.get(f"{DESK}/{complaint_id}").get_data(as_text=True)


def _sanggah_world(app, world):
    """A sanggah complaint and an enrollment in each kelurahan (ids)."""
    with app.app_context():
        own_household = db.session.get(Household, world.household_ids["assigned"])
        other_household = db.session.get(Household, world.household_ids["other"])
        own_program = factories.make_program(db.session, own_household.rt.rw.kelurahan)
        other_program = factories.make_program(db.session, other_household.rt.rw.kelurahan)
        own = factories.enroll(db.session, own_program, own_household)
        other = factories.enroll(db.session, other_program, other_household)
        complaint = make_complaint(
            db.session,
            world.kelurahan_id,
            category="sanggah",
            description="Keluarga ini mampu, punya mobil dua.",
        )
        db.session.commit()
        return {
            "complaint": complaint.id,
            "code": complaint.code,
            "own": own.id,
            "other": other.id,
            "own_kk": own_household.kk_number,
            "other_kk": other_household.kk_number,
            "own_nik": own_household.members[0].nik,
            "program": own_program.id,
        }


def test_scoped_search_finds_only_this_kelurahan(client, app, world, login_as):
    ids = _sanggah_world(app, world)
    login_as("staff")
    url = f"{DESK}/{ids['complaint']}"
    page = client.get(url, query_string={"cari": ids["own_kk"]}).get_data(as_text=True)
    assert f'name="enrollment_id" value="{ids["own"]}"' in page
    page = client.get(url, query_string={"cari": ids["own_nik"]}).get_data(as_text=True)
    assert "SITI AMINAH" in page and f'value="{ids["own"]}"' in page
    page = client.get(url, query_string={"cari": ids["other_kk"]}).get_data(as_text=True)
    assert (
        "Tidak ditemukan di kelurahan ini." in page
        and ids["other_kk"] not in page.split('id="cari"')[1].split("</form>", 1)[1]
    )
    # Linking another kelurahan's enrollment by id is a 404, even for a hand-made request.
    assert client.post(f"{url}/tautkan", data={"enrollment_id": ids["other"]}).status_code == 404


def test_admin_cannot_link_across_kelurahan(client, app, world, login_as):
    ids = _sanggah_world(app, world)
    login_as("admin")
    response = client.post(
        f"{DESK}/{ids['complaint']}/tautkan",
        data={"enrollment_id": ids["other"]},
        follow_redirects=True,
    )
    assert "bukan dari kelurahan pengaduan ini" in response.get_data(as_text=True)
    assert load(app, ids["complaint"]).enrollment_id is None


def test_sanggah_puts_the_enrollment_on_the_targeting_review(client, app, world, login_as):
    ids = _sanggah_world(app, world)
    login_as("staff")
    url = f"{DESK}/{ids['complaint']}"
    post_status(client, ids["complaint"], "terverifikasi")
    response = client.post(f"{url}/tinjau-sasaran", data={"note": ""}, follow_redirects=True)
    assert "Tautkan dulu kepesertaan" in response.get_data(as_text=True)
    client.post(f"{url}/tautkan", data={"enrollment_id": ids["own"]})
    complaint = load(app, ids["complaint"])
    assert complaint.enrollment_id == ids["own"]
    assert complaint.household_id == world.household_ids["assigned"]
    client.post(f"{url}/tinjau-sasaran", data={"note": "Ada laporan aset mobil."})
    client.post(f"{url}/tinjau-sasaran", data={"note": "lagi"})  # a second click does nothing
    with app.app_context():
        case = db.session.scalars(sa.select(TargetingCase)).one()
        assert (case.kind, case.source, case.source_ref) == ("inclusion", "sanggah", ids["code"])
        assert case.enrollment_id == ids["own"] and case.program_id == ids["program"]
        assert case.household_id == world.household_ids["assigned"]
        assert case.kelurahan_id == world.kelurahan_id and case.decision == "terbuka"
        assert case.explanation == "Ada laporan aset mobil."
        assert db.session.get(Complaint, ids["complaint"]).targeting_case_id == case.id
        assert db.session.scalar(
            sa.select(AuditLog.id).where(
                AuditLog.entity == "targeting_case", AuditLog.action == "create"
            )
        )


def test_usul_becomes_a_survey_task_for_that_rt(client, app, world, login_as):
    from tests.factories import make_nik

    nik = make_nik()
    with app.app_context():
        rt = rt_id(db.session, world.kelurahan_id, 1, 2)
    complaint_id, code = new_complaint(
        app,
        world,
        category="usul",
        rt_id=rt,
        subject_name="IBU SUMARNI",
        subject_nik=nik,
        subject_address="Gg. Sukamaju No. 7",
        reporter_name="Pak RT",
    )
    login_as("staff")
    url = f"{DESK}/{complaint_id}"
    response = client.post(f"{url}/jadikan-tugas", follow_redirects=True)
    assert "harus sudah diverifikasi" in response.get_data(as_text=True)
    post_status(client, complaint_id, "terverifikasi")
    client.post(f"{url}/jadikan-tugas", data={"note": ""})
    client.post(f"{url}/jadikan-tugas", data={"note": ""})  # only once
    with app.app_context():
        task = db.session.scalars(sa.select(SurveyTask)).one()
        assert (task.source, task.source_ref, task.rt_id) == ("usul", code, rt)
        assert (task.subject_name, task.subject_nik) == ("IBU SUMARNI", nik)
        assert task.address == "Gg. Sukamaju No. 7" and task.status == "terbuka"
        assert "Pak RT" not in task.note  # the reporter's identity does not travel
        assert task.created_by_id == world.user_ids["staff"]
        complaint = db.session.get(Complaint, complaint_id)
        assert complaint.survey_task_id == task.id and complaint.status == "diproses"


def test_conversions_only_for_their_category(app, world):
    with app.app_context():
        staff = db.session.get(User, world.user_ids["staff"])
        complaint = make_complaint(db.session, world.kelurahan_id, category="petugas")
        services.verify(db.session, complaint, date(2026, 11, 23))
        for convert in (
            lambda: services.convert_usul(db.session, complaint, staff, ""),
            lambda: services.convert_sanggah(db.session, complaint, ""),
        ):
            try:
                convert()
            except services.ComplaintError:
                continue
            raise AssertionError("conversion of a non-usul/sanggah complaint was accepted")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyTask)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ComplaintNote)) == 0


def test_cli_sets_the_holidays_the_clock_skips(app, runner, world):
    result = runner.invoke(args=["complaints", "holidays", "2026-11-24", "2026-12-25"])
    assert result.exit_code == 0, result.output
    assert "2026-11-24, 2026-12-25" in result.output
    with app.app_context():
        assert services.holidays_for(db.session, world.kelurahan_id) == {
            date(2026, 11, 24),
            date(2026, 12, 25),
        }
    bad = runner.invoke(args=["complaints", "holidays", "25-12-2026"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
