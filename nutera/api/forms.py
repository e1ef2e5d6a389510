"""The API client registration form."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from nutera.models.api import SCOPE_LABELS


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ClientForm(FlaskForm):
    """Register a machine client of the integration API."""

    name = StringField(
        "Nama aplikasi/klien",
        validators=[DataRequired("Nama klien wajib diisi."), Length(max=120)],
    )
    scopes = _Checkboxes(
        "Cakupan (scope)",
        choices=[(s.value, f"{s.value} — {label}") for s, label in SCOPE_LABELS.items()],
        validators=[DataRequired("Pilih minimal satu cakupan.")],
    )
    kelurahan_ids = _Checkboxes("Kelurahan yang boleh dilihat", coerce=int)
    whole_city = BooleanField("Seluruh kota (Dinas Sosial)")
    ip_allowlist = StringField(
        "Alamat IP yang diizinkan (kosong = semua; pisahkan dengan spasi, boleh CIDR)",
        validators=[Optional(), Length(max=1000)],
    )
    expires_on = DateField("Berlaku sampai", validators=[Optional()])
