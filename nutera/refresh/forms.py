"""Forms for uploading an extract and confirming its column mapping."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from nutera.models import SOURCE_KINDS
from nutera.refresh.reader import COMBINED, FIELDS, REQUIRED_FIELDS


class UploadForm(FlaskForm):
    """A kelurahan extract and the source it comes from."""

    source = StringField(
        "Sumber data",
        validators=[
            DataRequired("Sumber data wajib diisi, misalnya DTKS Kemensos."),
            Length(max=48),
        ],
    )
    kelurahan_id = SelectField("Kelurahan", coerce=int)
    file = FileField(
        "Berkas CSV atau XLSX",
        validators=[
            FileRequired("Pilih berkas yang akan diunggah."),
            FileAllowed(["csv", "xlsx", "txt"], "Hanya berkas CSV atau XLSX."),
        ],
    )
    # Source kinds (nutera/sanding): chosen with a source's first file, then remembered.
    kind = SelectField(
        "Jenis sumber",
        choices=[("", "Seperti sebelumnya (sumber baru: Penduduk)")]
        + [(k, label) for k, label in SOURCE_KINDS.items()],
        default="",
    )
    program = StringField(
        "Program daftar penerima (kode, mis. PKH; boleh kosong)",
        validators=[Optional(), Length(max=20)],
    )
    complete = BooleanField(
        "Berkas ini berisi seluruh warga kelurahan "
        "(warga yang tidak tercantum didaftar sebagai pindah/meninggal?)"
    )
    submit = SubmitField("Unggah dan periksa")


def mapping_form(
    headers: list[str],
    proposed: dict[str, str],
    formdata=None,
    samples: dict[str, list[str]] | None = None,
) -> FlaskForm:
    """One select per field, choices being the file's column headers (with a sample value)."""

    class MappingForm(FlaskForm):
        submit = SubmitField("Gunakan pemetaan ini dan periksa berkas")

        def validate(self, extra_validators=None) -> bool:
            """RT and RW come from their own columns or from one RT/RW gabungan column."""
            valid = super().validate(extra_validators)
            for name in ("rt", "rw"):
                if not getattr(self, name).data and not self.rt_rw.data:
                    getattr(self, name).errors.append(
                        f"Pilih kolom untuk {FIELDS[name]}, atau satu kolom RT/RW gabungan."
                    )
                    valid = False
            return valid

    samples = samples or {}
    choices = [SelectChoice("", "— tidak ada —")] + [
        SelectChoice(h, f"{h} (mis. {samples[h][0]})" if samples.get(h) else h)
        for h in headers
        if h
    ]
    for field, label in FIELDS.items():
        required = field in REQUIRED_FIELDS and field not in COMBINED
        setattr(
            MappingForm,
            field,
            SelectField(
                label + (" *" if field in REQUIRED_FIELDS else ""),
                choices=choices,
                default=proposed.get(field, ""),
                validators=[DataRequired(f"Pilih kolom untuk {label}.")] if required else [],
            ),
        )
    return MappingForm(formdata=formdata)
