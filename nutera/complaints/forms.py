"""The public complaint form and the staff desk's small forms."""

import re

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from nutera.complaints.services import MAX_PHOTOS
from nutera.identity import IdentityError, parse_nik
from nutera.models import COMPLAINT_CATEGORIES

_PHONE = re.compile(r"^(\+?62|0)\d{8,13}$")


def _optional_int(value):
    """'' -> None, '12' -> 12 (for selects whose first option is empty)."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ComplaintForm(FlaskForm):
    """What a resident reports; RT choices are set by the view for one kelurahan."""

    category = RadioField(
        "Jenis pengaduan",
        choices=list(COMPLAINT_CATEGORIES.items()),
        validators=[DataRequired("Pilih jenis pengaduan.")],
    )
    rt = SelectField("RT/RW", coerce=_optional_int, validate_choice=False)
    subject_name = StringField(
        "Nama orang yang dimaksud",
        validators=[Length(max=120, message="Nama paling panjang 120 huruf.")],
    )
    subject_nik = StringField(
        "NIK orang yang dimaksud (jika tahu)",
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )
    subject_address = StringField(
        "Alamat orang yang dimaksud",
        validators=[Optional(), Length(max=255, message="Alamat paling panjang 255 huruf.")],
    )
    description = TextAreaField(
        "Uraian pengaduan",
        validators=[
            DataRequired("Uraian pengaduan wajib diisi."),
            Length(min=20, max=4000, message="Uraian antara 20 dan 4.000 huruf."),
        ],
    )
    photos = MultipleFileField(f"Foto pendukung (paling banyak {MAX_PHOTOS})")
    reporter_name = StringField(
        "Nama Anda (boleh dikosongkan)",
        validators=[Optional(), Length(max=120, message="Nama paling panjang 120 huruf.")],
    )
    reporter_phone = StringField(
        "Nomor HP Anda (boleh dikosongkan)",
        validators=[Optional()],
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )
    anonymous = BooleanField("Anonim: identitas saya hanya dilihat petugas yang menangani")
    confidential = BooleanField("Rahasia: pengaduan ini tidak ditampilkan di daftar publik")
    website = StringField("Jangan diisi")  # honeypot: people never see it, bots fill it
    captcha = StringField(
        "Ketik huruf pada gambar", validators=[DataRequired("Ketik huruf pada gambar.")]
    )

    def set_rt_choices(self, options: list[tuple[int, str]]) -> None:
        """Offer the RTs of the complaint's kelurahan."""
        self.rt.choices = [("", "— pilih RT/RW —")] + options
        self._rt_ids = {rt_id for rt_id, _ in options}

    def validate_rt(self, field):
        if field.data is not None and field.data not in getattr(self, "_rt_ids", set()):
            raise ValidationError("Pilih RT/RW dari daftar.")
        if field.data is None and self.category.data in ("usul", "sanggah"):
            raise ValidationError("Pilih RT/RW tempat orang yang dimaksud tinggal.")

    def validate_subject_nik(self, field):
        if field.data:
            try:
                field.data = parse_nik(field.data).nik
            except IdentityError as error:
                raise ValidationError(str(error)) from None

    def validate_subject_name(self, field):
        if (
            self.category.data in ("usul", "sanggah")
            and not (field.data or "").strip()
            and not self.subject_nik.data
        ):
            raise ValidationError("Tulis nama (atau NIK) orang yang dimaksud.")

    def validate_reporter_phone(self, field):
        number = re.sub(r"[\s\-().]", "", field.data or "")
        if number and not _PHONE.match(number):
            raise ValidationError("Nomor HP tidak valid, contoh: 0812 3456 7890.")
        field.data = number

    def validate_photos(self, field):
        files = [f for f in field.data or [] if getattr(f, "filename", "")]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(f"Paling banyak {MAX_PHOTOS} foto.")
        field.data = files


class LookupForm(FlaskForm):
    """A tracking code typed by a resident."""

    class Meta:
        csrf = False  # a GET lookup changes nothing

    code = StringField("Kode pengaduan", validators=[DataRequired("Ketik kode pengaduan.")])


class StatusForm(FlaskForm):
    """A status change on the staff desk."""

    status = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(
        "Alasan penolakan (ditampilkan ke pelapor)", validators=[Optional(), Length(max=2000)]
    )


class NoteForm(FlaskForm):
    """An internal note or a public answer."""

    body = TextAreaField(
        "Isi",
        validators=[
            DataRequired("Isi wajib diisi."),
            Length(max=4000, message="Paling panjang 4.000 huruf."),
        ],
    )
    public = BooleanField("Jawaban publik (dapat dibaca pelapor lewat kode)")


class AssignForm(FlaskForm):
    """Who handles the complaint; choices are set by the view."""

    assignee = SelectField("Petugas yang menangani", coerce=_optional_int, validate_choice=False)


class LinkForm(FlaskForm):
    """A person, household or enrollment chosen from the scoped search."""

    person_id = HiddenField()
    household_id = HiddenField()
    enrollment_id = HiddenField()


class ConvertForm(FlaskForm):
    """A note for whoever takes over: volunteers (usul) or the targeting review (sanggah)."""

    note = TextAreaField("Catatan", validators=[Optional(), Length(max=2000)])
