"""Forms of the volunteer pages: apply, approve, decline, pledge."""

import re

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

PHONE = re.compile(r"^(\+62|62|0)8\d{7,11}$")


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class ApplicationForm(FlaskForm):
    """A student's application to join as a volunteer."""

    full_name = StringField(
        "Nama lengkap", validators=[DataRequired("Nama lengkap wajib diisi."), Length(max=120)]
    )
    campus = StringField(
        "Kampus dan jurusan",
        validators=[DataRequired("Kampus wajib diisi."), Length(max=120)],
        description="Misalnya: Universitas Padjadjaran, Ilmu Kesejahteraan Sosial",
    )
    phone = StringField(
        "Nomor HP/WhatsApp",
        validators=[DataRequired("Nomor HP wajib diisi."), Length(max=20)],
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )
    preferred_rw = SelectField("RW yang diinginkan", coerce=_optional_int, validate_choice=False)
    availability = TextAreaField(
        "Waktu luang",
        validators=[DataRequired("Tuliskan kapan Anda bisa mendata."), Length(max=300)],
        description="Misalnya: Sabtu dan Minggu pagi, atau Senin-Rabu sore",
    )
    website = StringField("Situs web")  # honeypot: people leave it empty, bots fill it

    def validate_phone(self, field) -> None:
        """An Indonesian mobile number."""
        number = re.sub(r"[\s.-]", "", field.data or "")
        if not PHONE.match(number):
            raise ValidationError("Nomor HP tidak sah. Contoh: 0812 3456 7890.")
        field.data = number


class ApproveForm(FlaskForm):
    """Approve an application: the account and its RTs in one step."""

    username = StringField(
        "Nama pengguna",
        validators=[
            DataRequired("Nama pengguna wajib diisi."),
            Length(max=64),
            Regexp(
                r"^[A-Za-z0-9._-]+$", message="Hanya huruf, angka, titik, garis bawah dan strip."
            ),
        ],
    )
    rt_ids = SelectMultipleField(
        "RT yang ditugaskan",
        coerce=int,
        validators=[DataRequired("Pilih paling sedikit satu RT.")],
    )


class DeclineForm(FlaskForm):
    """Decline an application, with the reason."""

    reason = TextAreaField(
        "Alasan penolakan",
        validators=[DataRequired("Alasan penolakan wajib diisi."), Length(max=500)],
    )


class PledgeForm(FlaskForm):
    """Accept the data-confidentiality pledge."""

    version = HiddenField(validators=[Optional()])
    accept = BooleanField(
        "Saya sudah membaca panduan dan berjanji menjaga kerahasiaan data warga.",
        validators=[DataRequired("Centang pernyataan ini untuk mulai mendata.")],
    )
