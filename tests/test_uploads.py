"""Uploads: pixel limits on every path, body limits, temporary names, full disk, storage check."""

import errno
import io
import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from nutera import storage
from nutera.extensions import db
from nutera.models import Complaint, ComplaintPhoto, Handover, Survey, User
from nutera.ops import storage_check
from nutera.storage import UploadError, reencode_image, save_image
from tests.factories_complaints import TAMANSARI, form_data
from tests.factories_distribution import handover_form, make_event
from tests.factories_surveys import form_data as survey_form
from tests.factories_surveys import member

FORM = f"/pengaduan?kelurahan={TAMANSARI}"
LIMIT = 10_000  # pixels, in these tests


def png(size) -> bytes:
    out = io.BytesIO()
    Image.new("1", size, 1).save(out, "PNG")
    return out.getvalue()


JUST_OVER = (101, 100)  # 10,100 pixels
AT_LIMIT = (100, 100)


# --- pixel limits --------------------------------------------------------------------------


def test_an_image_just_over_the_default_limit_is_refused_though_pillow_only_warns():
    # 6400 x 6400 = 40.96 million pixels: above 40 M, far below Pillow's error at 80 M.
    with pytest.raises(UploadError, match="Resolusi foto terlalu besar .*40,0 juta piksel"):
        reencode_image(io.BytesIO(png((6400, 6400))))


def test_the_size_is_read_from_the_header_before_any_pixel_is_decoded(monkeypatch):
    def no_decoding(self, *args):
        raise AssertionError("pixels decoded")

    data = png(JUST_OVER)
    monkeypatch.setattr(Image.Image, "load", no_decoding)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    with pytest.raises(UploadError, match="terlalu besar"):
        reencode_image(io.BytesIO(data), pixel_limit=LIMIT)


def test_an_image_at_the_limit_is_accepted():
    _, _, width, height = reencode_image(io.BytesIO(png(AT_LIMIT)), pixel_limit=LIMIT)
    assert (width, height) == AT_LIMIT


@pytest.fixture
def limited(make_app, world, tmp_path):
    app = make_app(IMAGE_MAX_PIXELS=LIMIT, UPLOAD_FOLDER=str(tmp_path / "uploads"))
    return app


def uploaded_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_complaint_photo_just_over_the_pixel_limit_is_refused_keeping_the_text(limited):
    client = limited.test_client()
    client.get(FORM)
    data = form_data(limited.config["LAST_CAPTCHA_ANSWER"], description="Teks yang saya ketik.")
    data["photos"] = [(io.BytesIO(png(JUST_OVER)), "besar.png")]
    page = client.post(FORM, data=data, content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Resolusi foto terlalu besar" in text
    assert "Teks yang saya ketik." in text
    with limited.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0
    assert uploaded_files(limited) == []


def test_survey_photo_just_over_the_pixel_limit_is_refused(limited, world):
    client = limited.test_client()
    client.post("/login", data={"username": "relawan", "password": "kata-sandi-uji-123"})
    with limited.app_context():
        rt_id = db.session.get(User, world.user_ids["volunteer"]).assigned_rts[0].id
    url = client.post("/survei/mulai", data={"rt_id": rt_id}).headers["Location"]
    data = survey_form(rt_id, [member("BUDI SANTOSO", "kepala")])
    data["photo"] = (io.BytesIO(png(JUST_OVER)), "rumah.png")
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Resolusi foto terlalu besar" in response.get_data(as_text=True)
    with limited.app_context():
        assert db.session.scalar(sa.select(Survey.house_photo)) is None


def handover_post(app, world, photo: bytes):
    from nutera.models import DistributionRecipient

    with app.app_context():
        event_id = make_event(db.session, world)
        db.session.commit()
        recipient_id = db.session.scalar(
            sa.select(DistributionRecipient.id).where(
                DistributionRecipient.person_id == world.person_ids["assigned"]
            )
        )
    client = app.test_client()
    client.post("/login", data={"username": world.usernames["staff"], "password": PASSWORD})
    return client.post(
        f"/penyaluran/{event_id}/serah-terima/{recipient_id}",
        data=handover_form(photo=photo),
        headers={"Accept": "application/json"},
    )


PASSWORD = "kata-sandi-uji-123"


def test_handover_photo_just_over_the_pixel_limit_is_refused(limited, world):
    response = handover_post(limited, world, png(JUST_OVER))
    assert response.status_code == 422
    assert "Resolusi foto terlalu besar" in response.get_data(as_text=True)
    with limited.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Handover)) == 0
    assert uploaded_files(limited) == []


# --- temporary names -----------------------------------------------------------------------


def test_a_stored_file_gets_its_name_only_when_the_record_commits(app_ctx, tmp_path):
    folder = str(tmp_path)
    kept = save_image(io.BytesIO(png(AT_LIMIT)), "uji", upload_folder=folder)
    assert not (tmp_path / kept.path).exists()
    assert storage.stored_path(kept.path, folder).name.endswith(".part")  # readable meanwhile
    db.session.commit()
    assert (tmp_path / kept.path).exists() and not list(tmp_path.rglob("*.part"))
    dropped = save_image(io.BytesIO(png(AT_LIMIT)), "uji", upload_folder=folder)
    db.session.rollback()
    assert not (tmp_path / dropped.path).exists() and not list(tmp_path.rglob("*.part"))


def test_a_handover_that_fails_after_storing_its_evidence_leaves_no_file(
    make_app, world, tmp_path, monkeypatch
):
    app = make_app(UPLOAD_FOLDER=str(tmp_path / "uploads"), PROPAGATE_EXCEPTIONS=False)

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed here")

    monkeypatch.setattr("nutera.distribution.services.handover_hash", crash)
    response = handover_post(app, world, None)
    assert response.status_code == 500
    assert uploaded_files(app) == []


# --- a disk that cannot take files ---------------------------------------------------------


def test_a_full_disk_re_renders_the_complaint_with_the_text_and_no_cut_off_file(
    make_app, world, tmp_path, monkeypatch
):
    app = make_app(UPLOAD_FOLDER=str(tmp_path / "uploads"))
    real_open = open

    def full_disk_open(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        if "w" in mode and str(tmp_path) in str(path):
            handle.write(b"cut")  # a partial write, then the disk is full
            handle.close()
            raise OSError(errno.ENOSPC, "No space left on device")
        return handle

    monkeypatch.setattr("builtins.open", full_disk_open)
    client = app.test_client()
    client.get(FORM)
    data = form_data(app.config["LAST_CAPTCHA_ANSWER"], description="Keluhan yang panjang.")
    data["photos"] = [(io.BytesIO(png(AT_LIMIT)), "foto.png")]
    response = client.post(FORM, data=data, content_type="multipart/form-data")
    monkeypatch.setattr("builtins.open", real_open)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "penyimpanan server sedang penuh" in text and "Keluhan yang panjang." in text
    assert uploaded_files(app) == []


def test_a_disk_error_elsewhere_is_an_indonesian_page_not_a_bare_500(make_app, monkeypatch):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("nutera.main.routes.recipients_per_program", full)
    response = app.test_client().get("/")
    assert response.status_code == 507
    assert "Penyimpanan server penuh" in response.get_data(as_text=True)


# --- body limits ---------------------------------------------------------------------------


def test_the_refresh_upload_takes_more_than_the_old_16_mib(client, login_as, world):
    login_as("staff")
    body = b"NIK;NO KK;NAMA\n" + b"3273020101900001;3273020101150001;BUDI\n" * 500_000
    assert len(body) > 17 * 1024 * 1024
    response = client.post(
        "/pemutakhiran/",
        data={"source": "DTKS", "file": (io.BytesIO(body), "besar.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code != 413


def test_over_the_limit_the_413_page_names_it(make_app, world):
    app = make_app(REFRESH_MAX_UPLOAD_BYTES=2 * 1024 * 1024, MAX_CONTENT_LENGTH=None)
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    client = app.test_client()
    client.post("/login", data={"username": world.usernames["staff"], "password": PASSWORD})
    response = client.post(
        "/pemutakhiran/",
        data={"source": "DTKS", "file": (io.BytesIO(b"x" * (3 * 1024 * 1024)), "a.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "(2 MB)" in response.get_data(as_text=True)


def test_other_forms_stop_at_the_form_limit(make_app, world):
    app = make_app(FORM_MAX_UPLOAD_BYTES=1024 * 1024)
    response = app.test_client().post(
        FORM,
        data={"photos": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and "(1 MB)" in response.get_data(as_text=True)


# --- storage check -------------------------------------------------------------------------


def test_storage_check_lists_and_deletes_files_no_record_names(app, world, tmp_path, runner):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    with app.app_context():
        complaint_photo = save_image(io.BytesIO(png(AT_LIMIT)), "complaint")
        from tests.factories_complaints import make_complaint

        complaint = make_complaint(db.session, world.kelurahan_id)
        db.session.add(
            ComplaintPhoto(
                complaint_id=complaint.id,
                kelurahan_id=world.kelurahan_id,
                path=complaint_photo.path,
                sha256=complaint_photo.sha256,
                width=100,
                height=100,
            )
        )
        db.session.commit()
    orphan = tmp_path / "complaint" / "ab" / "ab12.jpg"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")
    stale_part = tmp_path / "evidence" / "cd" / "cd34.jpg.part"
    stale_part.parent.mkdir(parents=True)
    stale_part.write_bytes(b"x")
    old = time.time() - storage_check.PENDING_GRACE_SECONDS - 60
    os.utime(stale_part, (old, old))
    result = runner.invoke(args=["storage", "check"])
    assert "tanpa catatan: complaint/ab/ab12.jpg" in result.output
    assert "tanpa catatan: evidence/cd/cd34.jpg.part" in result.output
    assert complaint_photo.path not in result.output
    assert orphan.exists()
    result = runner.invoke(args=["storage", "check", "--delete"])
    assert not orphan.exists() and not stale_part.exists()
    assert (tmp_path / complaint_photo.path).exists()
