"""Staff and admin pages around the lists: aid history, double dipping, exclusion pairs."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from nutera.auth.decorators import roles_required
from nutera.extensions import db
from nutera.models import ROW_STATUSES, Person
from nutera.sanding import bp, exclusions, export, history, queries
from nutera.sanding.forms import ExclusionForm
from nutera.sanding.review import SandingError
from nutera.sanding.routes import STAFF, _xlsx
from nutera.scoping import get_visible_or_404

# The city's social office and a camat read the double-dipping report of their scope.
READERS = (*STAFF, "dinas", "kecamatan")


@bp.route("/warga/<int:person_id>")
@roles_required(*STAFF)
def person(person_id: int):
    """A resident's aid history: every program, periods, last handover."""
    found = get_visible_or_404(Person, person_id, current_user)
    return render_template(
        "sanding/person.html",
        person=found,
        history=history.aid_history(db.session, [found.id]).get(found.id, []),
        listed=queries.list_rows_of(db.session, current_user, found),
        statuses=ROW_STATUSES,
    )


@bp.route("/ganda")
@roles_required(*READERS)
def double_dipping():
    """Households in mutually exclusive programs, NIKs in two kelurahan."""
    return render_template(
        "sanding/double_dipping.html",
        pairs=history.exclusive_pairs_page(
            db.session, current_user, request.args.get("hal_keluarga", 1, type=int)
        ),
        cross=history.cross_kelurahan_page(
            db.session, current_user, request.args.get("page", 1, type=int)
        ),
    )


@bp.route("/ganda.xlsx")
@roles_required(*READERS)
def double_dipping_xlsx():
    """The double-dipping report as XLSX."""
    return _xlsx(
        lambda buffer: export.write_double_dipping(db.session, current_user, buffer, None),
        "bansos-ganda.xlsx",
    )


@bp.route("/pengecualian", methods=["GET", "POST"])
@roles_required("admin")
def exclusion_pairs():
    """Admin: which programs no one may receive at the same time."""
    form = ExclusionForm()
    if form.validate_on_submit():
        try:
            exclusions.add_pair(db.session, current_user, form.code_a.data, form.code_b.data)
        except SandingError as error:
            db.session.rollback()
            form.code_b.errors = [*form.code_b.errors, str(error)]
        else:
            db.session.commit()
            flash("Pasangan program disimpan.", "success")
            return redirect(url_for("sanding.exclusion_pairs"))
    status = 422 if form.errors else 200
    return (
        render_template("sanding/exclusions.html", form=form, pairs=exclusions.pairs(db.session)),
        status,
    )


@bp.post("/pengecualian/<int:pair_id>/hapus")
@roles_required("admin")
def remove_exclusion(pair_id: int):
    """Admin: forget one pair."""
    try:
        exclusions.remove_pair(db.session, current_user, pair_id)
    except SandingError as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        db.session.commit()
        flash("Pasangan program dihapus.", "success")
    return redirect(url_for("sanding.exclusion_pairs"))


@bp.app_template_global()
def sanding_double_dipping(user) -> int:
    """How many double-dipping cases the staff dashboard shows."""
    return history.double_dipping_count(db.session, user)
