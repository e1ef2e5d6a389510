"""Builders for complaints; they add and flush, the caller commits."""

import io
from datetime import date

import sqlalchemy as sa
from PIL import Image
from sqlalchemy.orm import Session

from nutera.complaints.services import ComplaintInput, file_complaint
from nutera.models import Complaint, Rt, Rw

TAMANSARI = "3273021003"


def rt_id(session: Session, kelurahan_id: int, rw: int, rt: int) -> int:
    """Id of RT rt/RW rw of a kelurahan."""
    return session.scalar(
        sa.select(Rt.id)
        .join(Rw, Rt.rw_id == Rw.id)
        .where(Rt.kelurahan_id == kelurahan_id, Rw.number == rw, Rt.number == rt)
    )


def make_complaint(
    session: Session, kelurahan_id: int, *, received: date = date(2026, 11, 23), **fields
) -> Complaint:
    """A complaint as if filed through the public form on `received`."""
    values = {
        "rt_id": rt_id(session, kelurahan_id, 1, 1),
        "category": "tidak_terima",
        "description": "Bantuan bulan ini tidak sampai ke rumah kami.",
        "subject_name": "SITI AMINAH",
        "reporter_name": "Pelapor Uji",
        "reporter_phone": "081234567890",
    }
    values.update(fields)
    return file_complaint(
        session, ComplaintInput(kelurahan_id=kelurahan_id, **values), [], received
    )


def jpeg_with_gps(size=(64, 48)) -> bytes:
    """A JPEG carrying EXIF with a camera model and GPS coordinates."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "KameraRahasia X1"  # Model
    exif[0x8825] = {1: "S", 2: (6.0, 53.0, 30.0), 3: "E", 4: (107.0, 36.0, 45.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def form_data(captcha: str, **overrides) -> dict:
    """A valid public complaint form submission."""
    data = {
        "category": "tidak_terima",
        "rt": "",
        "subject_name": "SITI AMINAH",
        "subject_nik": "",
        "subject_address": "",
        "reporter_name": "Ujang",
        "reporter_phone": "0812-3456-7890",
        "description": "Sudah tiga bulan bantuan PKH tidak kami terima.",
        "captcha": captcha,
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
