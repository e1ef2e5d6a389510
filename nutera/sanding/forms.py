"""Forms of the sanding pages (CSRF through Flask-WTF)."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from nutera.models import Decision

DECISION_CHOICES = [
    (Decision.KONFIRMASI, Decision.KONFIRMASI.label),
    (Decision.BUKAN, Decision.BUKAN.label),
    (Decision.SURVEI, Decision.SURVEI.label),
    (Decision.TOLAK, Decision.TOLAK.label),
]


class DecisionForm(FlaskForm):
    """An operator's decision on one row, with the candidate it is about."""

    candidate_id = RadioField("Warga yang dimaksud", coerce=int, validators=[Optional()])
    decision = RadioField(
        "Keputusan", choices=DECISION_CHOICES, validators=[DataRequired("Pilih keputusan.")]
    )
    reason = TextAreaField(
        "Alasan", validators=[Length(max=1000, message="Alasan paling panjang 1.000 huruf.")]
    )
    submit = SubmitField("Simpan keputusan")


class AssignForm(FlaskForm):
    """Hand a row to a colleague."""

    colleague_id = SelectField("Serahkan ke", coerce=int)
    submit = SubmitField("Serahkan")


class EnrolForm(FlaskForm):
    """Enrol the list's valid rows in one of its programs."""

    program_id = SelectField("Program", coerce=int)
    submit = SubmitField("Daftarkan baris valid ke program")


_CODE = Regexp(r"^[A-Za-z0-9_-]{1,20}$", message="Kode program: huruf/angka, paling 20.")


class ExclusionForm(FlaskForm):
    """Two programs no one may receive at the same time."""

    code_a = StringField("Program pertama", validators=[DataRequired("Isi kode program."), _CODE])
    code_b = StringField("Program kedua", validators=[DataRequired("Isi kode program."), _CODE])
    submit = SubmitField("Tambahkan pasangan")


class RevalidateForm(FlaskForm):
    """Validate the list again (after the page said what happens to its review work)."""

    submit = SubmitField("Ya, validasi ulang daftar ini")
