"""Forms for account administration."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
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


class ChoiceField(SelectField):
    """A select whose refusal of a value not offered speaks Indonesian."""

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError("Ini bukan pilihan yang tersedia; pilih dari daftar.") from None


class MultipleChoiceField(SelectMultipleField):
    """Checkboxes whose refusal of a value not offered speaks Indonesian."""

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError("Ada yang bukan pilihan yang tersedia untuk akun ini.") from None


def optional_int(value) -> int | None:
    """'' (no choice) as None, else the chosen id."""
    if value in (None, "", "None", "0", 0):  # 0: the old "seluruh kota" choice
        return None
    return int(value)


class AccountFieldsForm(FlaskForm):
    """Name, role and kelurahan: chosen on purpose, never defaulted."""

    full_name = StringField(
        "Nama lengkap", validators=[DataRequired("Nama lengkap wajib diisi."), Length(max=120)]
    )
    role = ChoiceField("Peran", validators=[DataRequired("Pilih peran akun ini.")])
    kelurahan_id = ChoiceField(
        "Kelurahan",
        coerce=optional_int,
        description=(
            "Wajib untuk petugas dan relawan; kosongkan untuk admin, Dinas Sosial dan Kecamatan."
        ),
    )
    kecamatan_code = ChoiceField(
        "Kecamatan",
        coerce=lambda value: value or None,
        description="Hanya untuk peran Kecamatan: akun melihat semua kelurahan kecamatan ini.",
    )

    def set_choices(
        self,
        roles: dict[str, str],
        kelurahans: list[tuple[int, str]],
        kecamatans: list[tuple[str, str]] = (),
    ) -> None:
        """Offer the roles, kelurahan and kecamatan the acting user may give, behind an
        empty choice."""
        self.role.choices = [("", "— pilih peran —"), *roles.items()]
        self.kelurahan_id.choices = [("", "— pilih kelurahan —"), *kelurahans]
        self.kecamatan_code.choices = [("", "— pilih kecamatan —"), *kecamatans]


class UserForm(AccountFieldsForm):
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
    password = PasswordField(
        "Kata sandi awal",
        validators=[
            DataRequired("Kata sandi wajib diisi."),
            Length(min=10, message="Minimal 10 karakter."),
        ],
    )
    must_change_password = BooleanField("Wajib ganti kata sandi saat pertama masuk", default=True)
    submit = SubmitField("Buat akun")


class EditUserForm(AccountFieldsForm):
    """Change an account's name, role and kelurahan."""

    submit = SubmitField("Simpan perubahan")


class ConfirmForm(FlaskForm):
    """A button that needs only the CSRF token (deactivate, reactivate, reset)."""


class AssignmentForm(FlaskForm):
    """Choose the RTs a volunteer surveys: single RTs, or whole RWs at once."""

    rt_ids = MultipleChoiceField("RT yang ditugaskan", coerce=int, validate_choice=True)
    rw_ids = MultipleChoiceField("Seluruh RW", coerce=int, validate_choice=True)
    submit = SubmitField("Simpan penugasan")


class TwoFactorPolicyForm(FlaskForm):
    """Roles that must use two-step sign-in."""

    roles = MultipleChoiceField("Wajib verifikasi dua langkah untuk", validate_choice=True)
    submit = SubmitField("Simpan")


class AuditFilterForm(Form):
    """Filters of the audit log, read from the query string (no CSRF: it changes nothing)."""

    class Meta(IndonesianMeta):
        pass

    pengguna = SelectField("Pengguna", default="")
    klien = SelectField("Klien API", default="")
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
