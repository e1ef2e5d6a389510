"""Forms for distribution events and handovers."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from nutera.models import PROXY_RELATIONS


class EventForm(FlaskForm):
    """Plan a distribution event."""

    program_id = SelectField("Program", coerce=int)
    period = StringField(
        "Tahap",
        validators=[DataRequired("Tahap wajib diisi."), Length(max=60)],
        description="Misalnya: Tahap 4 2026",
    )
    event_date = DateField("Tanggal", validators=[DataRequired("Tanggal wajib diisi.")])
    time_start = TimeField("Jam mulai", validators=[Optional()])
    time_end = TimeField(
        "Jam selesai", validators=[Optional()], description="Dicetak pada undangan."
    )
    place = StringField(
        "Tempat", validators=[DataRequired("Tempat wajib diisi."), Length(max=200)]
    )
    goods = StringField(
        "Bantuan per penerima",
        validators=[DataRequired("Isi barang atau uang yang diterima."), Length(max=200)],
        description="Misalnya: Beras 10 kg, atau Uang tunai",
    )
    amount = IntegerField(
        "Nilai uang per penerima (Rp)",
        validators=[
            Optional(),
            NumberRange(min=0, message="Nilai tidak boleh negatif."),
            NumberRange(max=1_000_000_000, message="Nilai terlalu besar."),
        ],
        render_kw={"inputmode": "numeric"},
    )
    volunteer_ids = SelectMultipleField("Relawan yang bertugas", coerce=int)
    submit = SubmitField("Buat acara dan daftar penerima")

    def validate_time_end(self, field) -> None:
        """The invited hours must end after they start."""
        start = self.time_start.data
        if (start is None) != (field.data is None):
            raise ValidationError("Isi jam mulai dan jam selesai, atau kosongkan keduanya.")
        if start is not None and field.data <= start:
            raise ValidationError("Jam selesai harus setelah jam mulai.")


class HandoverForm(FlaskForm):
    """One handover as captured on the phone (files are checked by the service)."""

    idempotency_key = HiddenField(
        validators=[Regexp(r"^[A-Za-z0-9-]{16,64}$", message="Kunci pengiriman tidak sah.")]
    )
    identity_checked = BooleanField(
        "KTP/KK penerima (atau wakilnya) sudah dicocokkan",
        validators=[DataRequired("Cocokkan dulu identitas dengan KTP/KK.")],
    )
    photo = FileField("Foto serah terima")
    signature = FileField("Tanda tangan")
    thumbprint = BooleanField("Penerima tidak dapat menandatangani (cap jempol)")
    proxy = BooleanField("Diwakilkan")
    proxy_name = StringField("Nama wakil", validators=[Length(max=120)])
    proxy_nik = StringField(
        "NIK wakil", validators=[Length(max=40)], render_kw={"inputmode": "numeric"}
    )
    proxy_relation = SelectField(
        "Hubungan dengan penerima",
        choices=[SelectChoice("", "- pilih -")]
        + [SelectChoice(k, v) for k, v in PROXY_RELATIONS.items()],
        validate_choice=False,
    )  # the service checks it
    latitude = HiddenField()
    longitude = HiddenField()
    gps_accuracy_m = HiddenField()
    note = TextAreaField("Catatan", validators=[Length(max=500)])
