"""The public complaint form, the tracking code and the status page."""

import io
import re
from collections import Counter

import pytest
import sqlalchemy as sa
from PIL import Image

from nutera.complaints import services
from nutera.extensions import db
from nutera.models import AuditLog, Complaint, ComplaintNote, ComplaintPhoto
from nutera.storage import stored_path
from tests.factories_complaints import TAMANSARI, form_data, jpeg_with_gps, make_complaint, rt_id

FORM = f"/pengaduan?kelurahan={TAMANSARI}"


def submit(client, app, **overrides):
    """Open the form (a fresh captcha), then post it with the right answer."""
    assert client.get(FORM).status_code == 200
    data = form_data(app.config["LAST_CAPTCHA_ANSWER"], **overrides)
    return client.post(FORM, data=data, content_type="multipart/form-data")


def only_complaint(app) -> Complaint:
    with app.app_context():
        return db.session.scalars(sa.select(Complaint)).one()


def count(app, model=Complaint) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_several_kelurahan_first_offer_a_choice(client, world):
    page = client.get("/pengaduan").get_data(as_text=True)
    assert "Tamansari" in page and "Lebakgede" in page and 'name="category"' not in page


def test_rt_select_lists_only_that_kelurahan(client, world, app):
    page = client.get(FORM).get_data(as_text=True)
    with app.app_context():
        other_rt = rt_id(db.session, world.other_kelurahan_id, 1, 1)
        own_rt = rt_id(db.session, world.kelurahan_id, 2, 1)
    assert f'value="{own_rt}"' in page and f'value="{other_rt}"' not in page
    response = submit(client, app, rt=str(other_rt), category="usul")
    assert "Pilih RT/RW dari daftar." in response.get_data(as_text=True)
    assert count(app) == 0


def test_single_kelurahan_is_taken_without_asking(client, app, world):
    with app.app_context():
        from nutera.models import Household, Kelurahan, Person, Rt, Rw, User

        other = db.session.get(Kelurahan, world.other_kelurahan_id)
        db.session.execute(sa.delete(User).where(User.kelurahan_id == other.id))
        db.session.execute(sa.delete(AuditLog))
        for model in (Person, Household, Rt, Rw):
            db.session.execute(sa.delete(model).where(model.kelurahan_id == other.id))
        db.session.delete(other)
        db.session.commit()
    page = client.get("/pengaduan").get_data(as_text=True)
    assert 'name="category"' in page and "Kelurahan Tamansari" in page


def test_filing_shows_an_unguessable_code_at_once(client, app, world):
    response = submit(client, app)
    assert response.status_code == 302
    complaint = only_complaint(app)
    assert re.fullmatch(
        r"NTR-[ACDEFHJKLMNPRTUVWXY34679]{5}-[ACDEFHJKLMNPRTUVWXY34679]{5}", complaint.code
    )
    assert response.headers["Location"].endswith(f"/pengaduan/{complaint.code}")
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert complaint.code in text and "sudah kami terima" in text and "Cetak kode" in text
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert complaint.status == "baru" and complaint.reporter_phone == "081234567890"
    assert complaint.rt_id is None and complaint.kelurahan_id == world.kelurahan_id
    # Shown once: a reload no longer says it was just filed.
    assert "sudah kami terima" not in client.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_codes_are_random_not_sequential():
    codes = [services.new_code() for _ in range(2000)]
    assert len(set(codes)) == 2000
    bodies = "".join(code[4:].replace("-", "") for code in codes)
    # Every character of the alphabet is used roughly evenly (20,000 draws, 24 symbols).
    frequencies = Counter(bodies)
    assert set(frequencies) == set(services.CODE_ALPHABET)
    assert min(frequencies.values()) > 600 and max(frequencies.values()) < 1100
    assert len(services.CODE_ALPHABET) ** services.CODE_LENGTH > 10**13


@pytest.mark.parametrize("typed", ["ntr-k7xma-3pc9r", "NTR K7XMA 3PC9R", "k7xma3pc9r"])
def test_typed_codes_are_normalised(typed):
    assert services.normalize_code(typed) == "NTR-K7XMA-3PC9R"


@pytest.mark.parametrize("typed", ["NTR-K7XMA-3PC9", "NTR-O7XMA-3PC9R", "1", "", None])
def test_malformed_codes_are_refused(typed):
    assert services.normalize_code(typed) is None


def test_unknown_and_malformed_codes_are_404(client, world):
    assert client.get("/pengaduan/NTR-AAAAA-AAAAA").status_code == 404
    assert client.get("/pengaduan/NTR-00000-00000").status_code == 404
    assert client.get("/pengaduan/1").status_code == 404


def test_lookup_form_redirects_to_the_status_page(client, app, world):
    with app.app_context():
        code = make_complaint(db.session, world.kelurahan_id).code
        db.session.commit()
    response = client.get("/pengaduan/cek", query_string={"code": code.lower()})
    assert response.status_code == 302 and response.headers["Location"].endswith(code)
    page = client.get("/pengaduan/cek", query_string={"code": "salah"}).get_data(as_text=True)
    assert "Kode tidak dikenali" in page


def test_validation_errors_keep_what_was_typed(client, app, world):
    response = submit(
        client,
        app,
        category="usul",
        subject_name="",
        rt="",
        subject_nik="3273021403850000",
        description="pendek",
        reporter_phone="12ab",
        reporter_name="Ujang Sukmana",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in (
        "Pilih RT/RW tempat orang yang dimaksud tinggal.",
        "Nomor urut NIK (4 digit terakhir) tidak boleh 0000.",
        "Uraian antara 20 dan 4.000 huruf.",
        "Nomor HP tidak valid",
    ):
        assert message in page
    assert 'value="Ujang Sukmana"' in page and 'value="3273021403850000"' in page
    assert count(app) == 0


def test_a_minimal_submission_with_fields_left_out_is_accepted(client, app, world):
    client.get(FORM)
    response = client.post(
        FORM,
        data={
            "category": "lainnya",
            "captcha": app.config["LAST_CAPTCHA_ANSWER"],
            "description": "Lampu jalan di gang kami mati.",
        },
    )
    assert response.status_code == 302
    complaint = only_complaint(app)
    assert (complaint.reporter_name, complaint.reporter_phone, complaint.subject_nik) == (
        "",
        "",
        None,
    )
    assert not complaint.anonymous and not complaint.confidential


def test_category_is_required(client, app, world):
    response = submit(client, app, category=None)
    assert "Pilih jenis pengaduan." in response.get_data(as_text=True)
    assert count(app) == 0


def test_valid_nik_is_kept(client, app, world):
    from tests.factories import make_nik

    nik = make_nik()
    with app.app_context():
        rt = rt_id(db.session, world.kelurahan_id, 1, 2)
    assert (
        submit(
            client, app, category="sanggah", subject_nik=nik, subject_name="", rt=str(rt)
        ).status_code
        == 302
    )
    complaint = only_complaint(app)
    assert complaint.subject_nik == nik and complaint.rt_id == rt


def test_wrong_captcha_is_refused(client, app, world):
    client.get(FORM)
    response = client.post(FORM, data=form_data("XXXXX"))
    assert "Huruf pada gambar tidak cocok." in response.get_data(as_text=True)
    assert count(app) == 0


def test_captcha_cannot_be_reused(client, app, world):
    client.get(FORM)
    answer = app.config["LAST_CAPTCHA_ANSWER"]
    assert client.post(FORM, data=form_data(answer)).status_code == 302
    assert client.post(FORM, data=form_data(answer)).status_code == 200
    assert count(app) == 1


def test_honeypot_rejects_bots(client, app, world):
    response = submit(client, app, website="http://spam.example")
    assert response.status_code == 400
    assert count(app) == 0


def test_per_ip_limit_counts_filed_complaints(make_app, world):
    app = make_app(RATELIMIT_ENABLED=True, COMPLAINT_RATE_LIMIT="2 per day")
    client = app.test_client()
    assert submit(client, app).status_code == 302
    # A failed attempt (wrong captcha) does not use up the resident's allowance.
    client.get(FORM)
    assert client.post(FORM, data=form_data("XXXXX")).status_code == 200
    assert submit(client, app).status_code == 302
    assert submit(client, app).status_code == 429
    assert count(app) == 2
    # Another address is not affected.
    client.get(FORM)
    other = client.post(
        FORM,
        data=form_data(app.config["LAST_CAPTCHA_ANSWER"]),
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other.status_code == 302


def test_opening_the_form_is_limited_per_ip(make_app, world):
    """Every view draws a captcha image (~20 ms of CPU), so views are limited too."""
    app = make_app(RATELIMIT_ENABLED=True, COMPLAINT_FORM_RATE_LIMIT="2 per hour")
    client = app.test_client()
    codes = [client.get(FORM).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "Terlalu banyak permintaan" in client.get(FORM).get_data(as_text=True)


def test_per_ip_limit_on_failed_attempts(make_app, world):
    app = make_app(RATELIMIT_ENABLED=True, COMPLAINT_ATTEMPT_RATE_LIMIT="3 per hour")
    client = app.test_client()
    codes = []
    for _ in range(4):
        client.get(FORM)
        codes.append(client.post(FORM, data=form_data("XXXXX")).status_code)
    assert codes == [200, 200, 200, 429]
    assert "Terlalu banyak permintaan" in client.post(FORM, data={}).get_data(as_text=True)


def test_complaint_limit_works_on_redis_storage(make_app, world):
    import os

    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    redis.Redis.from_url(url).flushdb()
    app = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=url, COMPLAINT_RATE_LIMIT="1 per day"
    )
    client = app.test_client()
    assert submit(client, app).status_code == 302
    assert submit(client, app).status_code == 429
    assert redis.Redis.from_url(url).dbsize() > 0
    redis.Redis.from_url(url).flushdb()


def test_photos_are_reencoded_without_gps_or_camera(client, app, world):
    response = submit(
        client,
        app,
        photos=[
            (io.BytesIO(jpeg_with_gps()), "rumah.jpg"),
            (io.BytesIO(jpeg_with_gps((30, 30))), "b.jpg"),
        ],
    )
    assert response.status_code == 302
    with app.app_context():
        photos = db.session.scalars(sa.select(ComplaintPhoto)).all()
        assert len(photos) == 2
        for photo in photos:
            path = stored_path(photo.path)
            raw = path.read_bytes()
            assert b"KameraRahasia" not in raw and b"GPS" not in raw
            with Image.open(path) as image:
                exif = image.getexif()
                assert 0x8825 not in exif and 0x0110 not in exif
                assert exif.get_ifd(0x8825) == {}
            assert "static" not in str(path)


def test_more_than_three_photos_or_a_non_image_are_refused(client, app, world):
    import pathlib

    folder = pathlib.Path(app.config["UPLOAD_FOLDER"]) / "complaint"
    files_before = sorted(folder.rglob("*.jpg"))
    four = [(io.BytesIO(jpeg_with_gps()), f"{n}.jpg") for n in range(4)]
    page = submit(client, app, photos=four).get_data(as_text=True)
    assert "Paling banyak 3 foto." in page
    fake = [(io.BytesIO(jpeg_with_gps()), "a.jpg"), (io.BytesIO(b"<?php echo 1; ?>"), "foto.jpg")]
    page = submit(client, app, photos=fake).get_data(as_text=True)
    assert "bukan gambar yang valid" in page
    assert count(app) == 0 and count(app, ComplaintPhoto) == 0
    # The valid first photo of the refused submission was not left behind on disk.
    assert sorted(folder.rglob("*.jpg")) == files_before


def test_status_page_shows_answers_never_identity_or_internal_notes(client, app, world):
    with app.app_context():
        complaint = make_complaint(
            db.session,
            world.kelurahan_id,
            reporter_name="Ujang Pelapor",
            reporter_phone="081299998888",
            subject_nik="3273021403850001",
            description="Uraian yang hanya untuk petugas kelurahan.",
        )
        from nutera.models import User

        staff = db.session.get(User, world.user_ids["staff"])
        services.verify(db.session, complaint, complaint.verify_due)
        services.add_note(
            db.session, complaint, staff, "Catatan internal: cek rumahnya.", public=False
        )
        services.add_note(db.session, complaint, staff, "Bantuan akan dikirim ulang.", public=True)
        db.session.commit()
        code = complaint.code
    page = client.get(f"/pengaduan/{code}").get_data(as_text=True)
    assert "Bantuan akan dikirim ulang." in page and "Sudah dijawab" in page
    for secret in (
        "Catatan internal",
        "Ujang Pelapor",
        "081299998888",
        "3273021403850001",
        "Uraian yang hanya untuk petugas",
        "SITI AMINAH",
        "Petugas",
    ):
        assert secret not in page, secret


def test_rahasia_never_appears_in_the_public_list(client, app, world):
    with app.app_context():
        make_complaint(db.session, world.kelurahan_id, category="petugas")
        make_complaint(db.session, world.kelurahan_id, category="data_salah", confidential=True)
        db.session.commit()
    page = client.get(FORM).get_data(as_text=True)
    recent = page.split('id="recent-title"')[1]
    assert "Perilaku petugas" in recent and "Data salah" not in recent
    assert "SITI" not in recent and "NTR-" not in recent  # no person, no code
    assert not re.search(r"\d\d\.\d\d", recent)  # the day, never the time of filing


def test_public_filing_is_audited_without_the_reporter(client, app, world):
    submit(client, app, reporter_name="Nama Pelapor Unik", anonymous="y")
    with app.app_context():
        rows = db.session.scalars(sa.select(AuditLog).where(AuditLog.entity == "complaint")).all()
        assert [r.action for r in rows] == ["create"]
        assert rows[0].user_id is None and rows[0].ip is None
        assert "Nama Pelapor Unik" not in str(rows[0].changes)
        assert "reporter_name" not in rows[0].changes["after"]


def test_status_page_before_any_answer_shows_the_deadline(client, app, world):
    with app.app_context():
        code = make_complaint(db.session, world.kelurahan_id).code
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ComplaintNote)) == 0
    page = client.get(f"/pengaduan/{code}").get_data(as_text=True)
    assert "Belum ada jawaban" in page and "memverifikasi paling lambat 26 November 2026" in page


def test_status_lookups_are_limited_per_ip(make_app, world):
    app = make_app(RATELIMIT_ENABLED=True, COMPLAINT_LOOKUP_RATE_LIMIT="3 per hour")
    client = app.test_client()
    codes = [client.get(f"/pengaduan/{services.new_code()}").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


def test_filing_starts_the_clock_skipping_holidays(client, app, world):
    from nutera.complaints import sla
    from nutera.models import Setting

    today = services.local_today()
    next_working_day = sla.add_working_days(today, 1)
    with app.app_context():
        db.session.add(
            Setting(
                kelurahan_id=world.kelurahan_id,
                key="hari_libur",
                value=next_working_day.isoformat(),
            )
        )
        db.session.commit()
    assert submit(client, app).status_code == 302
    due = only_complaint(app).verify_due
    assert due == sla.verify_deadline(today, {next_working_day}) != sla.verify_deadline(today)


def test_codes_are_unique_in_the_database_and_a_collision_draws_again(app, world, monkeypatch):
    with app.app_context():
        first = make_complaint(db.session, world.kelurahan_id)
        drawn = iter([first.code, "NTR-AAAAA-CCCCC"])
        monkeypatch.setattr(services, "new_code", lambda: next(drawn))
        assert make_complaint(db.session, world.kelurahan_id).code == "NTR-AAAAA-CCCCC"
        db.session.commit()
        monkeypatch.undo()
        duplicate = make_complaint(db.session, world.kelurahan_id)
        duplicate.code = first.code
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()
