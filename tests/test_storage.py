"""The upload storage: only real images, re-encoded without metadata, kept in instance/."""

import io

import pytest
from PIL import Image

from nutera.storage import UploadError, reencode_image, save_image, stored_path


def jpeg_with_gps(size=(640, 480)) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "KameraMerek"  # Make
    exif[0x8825] = {1: "S", 2: (6.0, 53.0, 30.0), 3: "E", 4: (107.0, 36.0, 40.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_metadata_and_location_are_dropped(tmp_path):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif()  # the fixture really carries EXIF
    stored = save_image(io.BytesIO(original), "uji", upload_folder=str(tmp_path))
    with Image.open(tmp_path / stored.path) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "exif" not in image.info
    assert stored.path.startswith("uji/") and stored.path.endswith(".jpg")
    assert len(stored.sha256) == 64


def test_script_renamed_to_jpg_is_refused(tmp_path):
    with pytest.raises(UploadError, match="bukan gambar yang valid"):
        save_image(io.BytesIO(b"<script>alert(1)</script>"), "uji", upload_folder=str(tmp_path))
    assert not any(tmp_path.rglob("*.*"))


def test_oversized_upload_is_refused():
    with pytest.raises(UploadError, match="terlalu besar"):
        reencode_image(io.BytesIO(b"\xff" * 2048), max_bytes=1024)


def test_empty_upload_is_refused():
    with pytest.raises(UploadError, match="kosong"):
        reencode_image(io.BytesIO(b""))


def test_large_photo_is_scaled_down():
    data, ext, width, height = reencode_image(
        io.BytesIO(jpeg_with_gps((4000, 3000))), max_side=1600
    )
    assert (width, height) == (1600, 1200) and ext == "jpg"


def test_signature_keeps_transparency():
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    _, ext, _, _ = reencode_image(io.BytesIO(out.getvalue()), keep_alpha=True)
    assert ext == "png"


def test_paths_cannot_escape_the_upload_folder(tmp_path):
    with pytest.raises(UploadError):
        stored_path("../secret_key", upload_folder=str(tmp_path))
