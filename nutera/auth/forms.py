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
