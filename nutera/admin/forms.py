"""Forms for account administration."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp


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
