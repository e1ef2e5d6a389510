"""Forms of the survey feature; cross-field checks live in checks.py."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from nutera.identity import IdentityError, parse_kk
from nutera.models import (
    DISABILITIES,
    DISABILITY_SEVERITIES,
    FLOORS,
    HOUSE_OWNERSHIP,
    MATERNITY,
    PRESENCES,
    RELATIONS,
    ROOFS,
    SCHOOLING,
    SEXES,
    TOILETS,
    WALLS,
    WATER_SOURCES,
)
from nutera.surveys.checks import duplicate_niks, member_problems

_MESSAGES = {
    "Not a valid date value.": "Tanggal tidak sah (gunakan pemilih tanggal).",
    "Not a valid integer value.": "Isi dengan angka bulat, tanpa titik atau huruf.",
    "Not a valid decimal value.": "Isi dengan angka desimal.",
    "Not a valid choice.": "Pilihan tidak sah.",
    "This field is required.": "Wajib diisi.",
}


class _Indonesian:
    """WTForms' built-in messages in Indonesian (WTForms ships no 'id' catalogue)."""

    def gettext(self, text: str) -> str:
        return _MESSAGES.get(text, text)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


class IndonesianMeta:
    """Form Meta that returns Indonesian built-in messages."""

    def get_translations(self, form):
        return _Indonesian()


def _digits_only(value):
    return "".join(ch for ch in value if ch.isdigit()) if value else value


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _choices(mapping: dict, blank: str | None = "— pilih —") -> list[tuple[str, str]]:
    return ([("", blank)] if blank is not None else []) + list(mapping.items())


class MemberForm(Form):
    """One member row; its name prefix is members-<n>-."""

    Meta = IndonesianMeta

    nik = StringField("NIK", filters=[_digits_only], render_kw={"inputmode": "numeric"})
    no_ktp = BooleanField("Tidak punya KTP/NIK")
    name = StringField(
        "Nama sesuai KTP",
        filters=[_strip],
        validators=[
            DataRequired("Nama wajib diisi."),
            Length(max=120, message="Nama terlalu panjang."),
        ],
    )
    relation = SelectField(
        "Hubungan dengan kepala keluarga",
        choices=_choices(RELATIONS),
        validators=[DataRequired("Pilih hubungan dengan kepala keluarga.")],
    )
    sex = SelectField(
        "Jenis kelamin", choices=_choices(SEXES), validators=[DataRequired("Pilih jenis kelamin.")]
    )
    birth_date = DateField(
        "Tanggal lahir", validators=[InputRequired("Tanggal lahir wajib diisi.")]
    )
    confirm_mismatch = BooleanField("Data sudah sesuai KTP walau tidak cocok dengan NIK")
    occupation = StringField("Pekerjaan", filters=[_strip], validators=[Length(max=80)])
    monthly_income = IntegerField(
        "Penghasilan per bulan (Rp)",
        render_kw={"inputmode": "numeric"},
        validators=[
            Optional(),
            NumberRange(min=0, max=1_000_000_000, message="Penghasilan tidak wajar."),
        ],
    )
    disability = SelectField(
        "Disabilitas", choices=_choices(DISABILITIES, "Tidak ada"), default=""
    )
    disability_severity = SelectField(
        "Tingkat disabilitas", choices=_choices(DISABILITY_SEVERITIES, "—"), default=""
    )
    maternity = SelectField("Hamil atau nifas", choices=_choices(MATERNITY, "Tidak"), default="")
    in_school = SelectField(
        "Bersekolah (anak usia 7-18 tahun)",
        choices=_choices(SCHOOLING, "Belum ditanyakan"),
        default="",
    )
    is_asn_tni_polri = BooleanField("ASN/TNI/POLRI")
    presence = SelectField("Status tinggal", choices=list(PRESENCES.items()), default="tinggal")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        birth_date = self.birth_date.data if not self.birth_date.errors else None
        for field_name, message in member_problems(
            {
                "nik": self.nik.data,
                "no_ktp": self.no_ktp.data,
                "sex": self.sex.data,
                "birth_date": birth_date,
                "confirm_mismatch": self.confirm_mismatch.data,
            }
        ).items():
            getattr(self, field_name).errors.append(message)
            valid = False
        return valid


class SurveyForm(FlaskForm):
    """The household survey; members are added and removed in the browser."""

    class Meta(IndonesianMeta):
        pass

    kk_number = StringField("Nomor KK", filters=[_digits_only], render_kw={"inputmode": "numeric"})
    rt_id = SelectField("RT/RW", coerce=int)
    address = StringField(
        "Alamat",
        filters=[_strip],
        validators=[DataRequired("Alamat wajib diisi."), Length(max=255)],
    )
    kode_pos = StringField(
        "Kode pos",
        filters=[_strip],
        validators=[Regexp(r"^\d{5}$", message="Kode pos harus 5 digit angka.")],
        render_kw={"inputmode": "numeric"},
    )
    latitude = DecimalField(
        "Lintang", places=6, validators=[Optional(), NumberRange(-90, 90, "Lintang tidak sah.")]
    )
    longitude = DecimalField(
        "Bujur", places=6, validators=[Optional(), NumberRange(-180, 180, "Bujur tidak sah.")]
    )
    gps_accuracy_m = IntegerField(
        "Akurasi GPS (m)",
        validators=[Optional(), NumberRange(0, 1_000_000, "Akurasi GPS tidak sah.")],
        render_kw={"inputmode": "numeric"},
    )
    ownership = SelectField(
        "Status rumah",
        choices=_choices(HOUSE_OWNERSHIP),
        validators=[DataRequired("Pilih status kepemilikan rumah.")],
    )
    floor = SelectField(
        "Lantai", choices=_choices(FLOORS), validators=[DataRequired("Pilih jenis lantai.")]
    )
    wall = SelectField(
        "Dinding", choices=_choices(WALLS), validators=[DataRequired("Pilih jenis dinding.")]
    )
    roof = SelectField(
        "Atap", choices=_choices(ROOFS), validators=[DataRequired("Pilih jenis atap.")]
    )
    water_source = SelectField(
        "Air minum",
        choices=_choices(WATER_SOURCES),
        validators=[DataRequired("Pilih sumber air minum.")],
    )
    toilet = SelectField(
        "Jamban", choices=_choices(TOILETS), validators=[DataRequired("Pilih fasilitas jamban.")]
    )
    electricity_va = IntegerField(
        "Daya listrik (VA, 0 bila tidak ada)",
        render_kw={"inputmode": "numeric"},
        validators=[
            InputRequired("Daya listrik wajib diisi (0 bila tidak ada listrik)."),
            NumberRange(0, 200_000, "Daya listrik tidak wajar."),
        ],
    )
    photo = FileField("Foto rumah (boleh dilewati)")
    members = FieldList(FormField(MemberForm), min_entries=1)

    def validate_kk_number(self, field) -> None:
        try:
            field.data = parse_kk(field.data).kk
        except IdentityError as error:
            raise ValidationError(str(error)) from None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        rows = [{"nik": entry.form.nik.data} for entry in self.members]
        for index, message in duplicate_niks(rows).items():
            self.members[index].form.nik.errors.append(message)
            valid = False
        if not any(entry.form.relation.data == "kepala" for entry in self.members):
            self.members[0].form.relation.errors.append(
                "Satu anggota harus tercatat sebagai kepala keluarga."
            )
            valid = False
        return valid


class DecisionForm(FlaskForm):
    """Return or reject a survey: the note is required."""

    note = TextAreaField(
        "Catatan",
        filters=[_strip],
        validators=[DataRequired("Tulis alasan atau catatan untuk relawan."), Length(max=2000)],
    )


class TaskForm(FlaskForm):
    """A household (or address) volunteers of an RT should survey."""

    rt_id = SelectField("RT/RW", coerce=int)
    kk_number = StringField(
        "Nomor KK (bila diketahui)", filters=[_digits_only], render_kw={"inputmode": "numeric"}
    )
    subject_name = StringField("Nama warga", filters=[_strip], validators=[Length(max=120)])
    address = StringField(
        "Alamat",
        filters=[_strip],
        validators=[DataRequired("Alamat wajib diisi."), Length(max=255)],
    )
    note = TextAreaField("Catatan untuk relawan", filters=[_strip], validators=[Length(max=2000)])

    def validate_kk_number(self, field) -> None:
        if field.data:
            try:
                field.data = parse_kk(field.data).kk
            except IdentityError as error:
                raise ValidationError(str(error)) from None
