"""Sign-in form."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(
        "Nama pengguna", validators=[DataRequired("Nama pengguna wajib diisi."), Length(max=64)]
    )
    password = PasswordField("Kata sandi", validators=[DataRequired("Kata sandi wajib diisi.")])
    submit = SubmitField("Masuk")


class ChangePasswordForm(FlaskForm):
    """The signed-in user's own password."""

    current_password = PasswordField(
        "Kata sandi saat ini", validators=[DataRequired("Isi kata sandi saat ini.")]
    )
    new_password = PasswordField(
        "Kata sandi baru",
        description="Minimal 10 karakter.",
        validators=[DataRequired("Isi kata sandi baru.")],
    )
    confirm_password = PasswordField(
        "Ulangi kata sandi baru", validators=[DataRequired("Ulangi kata sandi baru.")]
    )
    submit = SubmitField("Ubah kata sandi")


class CodeForm(FlaskForm):
    """A code from the authenticator app (or, at sign-in, a recovery code)."""

    code = StringField(
        "Kode",
        validators=[DataRequired("Masukkan kode."), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none"},
    )
    submit = SubmitField("Lanjut")


class PasswordConfirmForm(FlaskForm):
    """The password again, before turning two-step sign-in off."""

    password = PasswordField("Kata sandi", validators=[DataRequired("Isi kata sandi Anda.")])
    submit = SubmitField("Matikan verifikasi dua langkah")
