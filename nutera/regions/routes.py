"""Admin pages: the kelurahan list, and adding one by its Kemendagri code."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from nutera.auth.decorators import roles_required
from nutera.extensions import db
from nutera.models import Kelurahan
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
    kelurahans = db.session.scalars(sa.select(Kelurahan).order_by(Kelurahan.code)).all()
    return render_template("regions/index.html", form=form, kelurahans=kelurahans)
