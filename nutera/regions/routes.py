"""Admin pages: the kelurahan list, adding one or a whole city by Kemendagri code, and the
RWs and RTs from a spreadsheet."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from nutera.auth.decorators import roles_required
from nutera.extensions import db
from nutera.models import Kelurahan
from nutera.regions.city import add_city, apply_rt_sheet, read_sheet
from nutera.regions.services import KelurahanInput, RegionError, create_kelurahan
from nutera.timeutil import ZONE_NAMES

bp = Blueprint("regions", __name__)


class KelurahanForm(FlaskForm):
    """A kelurahan by its 10-digit code."""

    code = StringField(
        "Kode kelurahan (Kemendagri, 10 digit)",
        validators=[DataRequired("Kode kelurahan wajib diisi."), Length(max=16)],
        render_kw={"inputmode": "numeric", "placeholder": "32.73.09.1002"},
    )
    kode_pos = StringField(
        "Kode pos", validators=[Length(max=5)], render_kw={"inputmode": "numeric"}
    )
    time_zone = SelectField(
        "Zona waktu",
        choices=[("", "Ikuti provinsi")] + [(n, label) for n, label in ZONE_NAMES.items()],
        validate_choice=False,  # create_kelurahan refuses other zones in Indonesian
    )
    rts_per_rw = StringField(
        "Jumlah RT tiap RW (opsional)",
        validators=[Length(max=300)],
        render_kw={"placeholder": "5,5,4"},
    )
    submit = SubmitField("Tambah kelurahan")


class CityForm(FlaskForm):
    """A whole kota by its 4-digit code."""

    city_code = StringField(
        "Kode kota (Kemendagri, 4 digit)",
        validators=[DataRequired("Kode kota wajib diisi."), Length(max=8)],
        render_kw={"inputmode": "numeric", "placeholder": "32.73"},
    )
    submit_city = SubmitField("Tambah seluruh kelurahan kota ini")


class RtSheetForm(FlaskForm):
    """RWs and RTs of many kelurahan from one spreadsheet."""

    sheet = FileField(
        "Berkas RW/RT (CSV atau XLSX: kode kelurahan, rw, jumlah rt)",
        validators=[
            FileRequired("Pilih berkas RW/RT."),
            FileAllowed(["csv", "xlsx"], "Hanya berkas CSV atau XLSX."),
        ],
    )
    submit_sheet = SubmitField("Tambahkan RW dan RT")


def _page(form=None, city_form=None, sheet_form=None, sheet_errors=()):
    kelurahans = db.session.scalars(sa.select(Kelurahan).order_by(Kelurahan.code)).all()
    return render_template(
        "regions/index.html",
        form=form or KelurahanForm(formdata=None),
        city_form=city_form or CityForm(formdata=None),
        sheet_form=sheet_form or RtSheetForm(formdata=None),
        sheet_errors=sheet_errors,
        kelurahans=kelurahans,
    )


@bp.post("/kota")
@roles_required("admin")
def add_city_page():
    """Every kelurahan of a kota from the Kemendagri list."""
    form = CityForm()
    if form.validate_on_submit():
        try:
            result = add_city(db.session, form.city_code.data)
        except RegionError as error:
            db.session.rollback()
            form.city_code.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                f"{result.regency.name}: {len(result.created)} kelurahan ditambahkan, "
                f"{len(result.existing)} sudah terdaftar.",
                "success",
            )
            return redirect(url_for("regions.index"))
    return _page(city_form=form)


@bp.post("/rt")
@roles_required("admin")
def rt_sheet_page():
    """Add the RWs and RTs a spreadsheet names; a wrong row refuses the whole file."""
    form = RtSheetForm()
    errors: list[str] = []
    if form.validate_on_submit():
        upload = form.sheet.data
        try:
            result = apply_rt_sheet(db.session, read_sheet(upload.read(), upload.filename))
        except RegionError as error:
            errors = [str(error)]
        else:
            errors = result.errors
        if not errors:
            db.session.commit()
            flash(
                f"{result.kelurahan} kelurahan: {result.rws_created} RW dan "
                f"{result.rts_created} RT ditambahkan.",
                "success",
            )
            return redirect(url_for("regions.index"))
        db.session.rollback()
    return _page(sheet_form=form, sheet_errors=errors)


@bp.route("/", methods=["GET", "POST"])
@roles_required("admin")
def index():
    """Every kelurahan, and the form to add one by its code."""
    form = KelurahanForm()
    if form.validate_on_submit():
        data = KelurahanInput(
            form.code.data, form.kode_pos.data or "", form.time_zone.data or "",
            form.rts_per_rw.data or "",
        )  # fmt: skip
        try:
            kelurahan = create_kelurahan(db.session, data)
        except RegionError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(
                f"Kelurahan {kelurahan.name}, Kec. {kelurahan.kecamatan}, {kelurahan.kota} "
                "ditambahkan.",
                "success",
            )
            return redirect(url_for("regions.index"))
    return _page(form=form)
