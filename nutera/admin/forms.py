"""Forms for account administration."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Form,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from nutera.surveys.forms import IndonesianMeta


class UserForm(FlaskForm):
    """Create an account."""

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
    full_name = StringField(
        "Nama lengkap", validators=[DataRequired("Nama lengkap wajib diisi."), Length(max=120)]
    )
    role = SelectField("Peran")
    kelurahan_id = SelectField("Kelurahan", coerce=int)
    password = PasswordField(
        "Kata sandi awal",
        validators=[
            DataRequired("Kata sandi wajib diisi."),
            Length(min=10, message="Minimal 10 karakter."),
        ],
    )
    submit = SubmitField("Buat akun")


class AssignmentForm(FlaskForm):
    """Choose the RTs a volunteer surveys."""

    rt_ids = SelectMultipleField("RT yang ditugaskan", coerce=int)
    submit = SubmitField("Simpan penugasan")


class AuditFilterForm(Form):
    """Filters of the audit log, read from the query string (no CSRF: it changes nothing)."""

    class Meta(IndonesianMeta):
        pass

    pengguna = SelectField("Pengguna", default="")
    jenis = SelectField("Jenis", default="")
    data = SelectField("Data", default="")
    nomor = IntegerField(
        "Nomor data",
        validators=[Optional(), NumberRange(min=1, max=2**63 - 1, message="Nomor tidak valid.")],
    )
    dari = DateField("Dari tanggal", validators=[Optional()])
    sampai = DateField("Sampai tanggal", validators=[Optional()])

    def validate_sampai(self, field):
        """The range may not end before it starts."""
        if field.data and self.dari.data and field.data < self.dari.data:
            raise ValidationError("Tanggal akhir sebelum tanggal awal.")
