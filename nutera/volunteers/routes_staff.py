"""Staff pages: review applications (approve with RTs, or decline) and volunteers' activity."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from nutera.auth.decorators import roles_required
from nutera.auth.services import AccountError
from nutera.extensions import db
from nutera.models import ApplicationStatus, VolunteerApplication
from nutera.volunteers import bp
from nutera.volunteers.forms import ApproveForm, DeclineForm
from nutera.volunteers.queries import (
    application_page,
    get_application_or_404,
    rt_groups,
    volunteer_activity,
)
from nutera.volunteers.services import ApplicationError, approve, decline, suggested_username

STAFF = ("admin", "staff")
BASE = "/kelola/relawan"


@bp.route(BASE)
@roles_required(*STAFF)
def applications():
    """Applications to review, waiting ones first."""
    status = request.args.get("status")
    status = status if status in set(ApplicationStatus) else None
    page = application_page(current_user, status, request.args.get("page", 1, type=int))
    return render_template("volunteers/applications.html", page=page, status=status)


def _render(application: VolunteerApplication, approve_form=None, decline_form=None, error=None):
    """One application with its approve and decline forms (typed values kept on refusal)."""
    groups = rt_groups(application.kelurahan_id)
    if approve_form is None:
        approve_form = ApproveForm(formdata=None)
        approve_form.username.data = suggested_username(db.session, application.full_name)
        approve_form.rt_ids.data = [
            rt_id for g in groups if g.rw_id == application.preferred_rw_id for rt_id, _ in g.rts
        ]
    return render_template(
        "volunteers/application.html",
        application=application,
        approve_form=approve_form,
        decline_form=decline_form or DeclineForm(formdata=None),
        groups=groups,
        error=error,
    ), 422 if error else 200


@bp.route(f"{BASE}/lamaran/<int:application_id>")
@roles_required(*STAFF)
def application(application_id: int):
    """Review one application."""
    return _render(get_application_or_404(current_user, application_id))


@bp.route(f"{BASE}/lamaran/<int:application_id>/terima", methods=["POST"])
@roles_required(*STAFF)
def approve_application(application_id: int):
    """Create the account and assign RTs in one step; the initial password is shown once."""
    application = get_application_or_404(current_user, application_id)
    form = ApproveForm()
    form.rt_ids.choices = [
        (rt_id, label) for g in rt_groups(application.kelurahan_id) for rt_id, label in g.rts
    ]
    if not form.validate_on_submit():
        return _render(application, approve_form=form, error="Periksa isian yang ditandai.")
    try:
        user, password = approve(
            db.session, application, current_user, form.username.data, form.rt_ids.data
        )
    except (AccountError, ApplicationError) as error:
        db.session.rollback()
        if isinstance(error, AccountError) and error.field in form:
            form[error.field].errors = [*form[error.field].errors, str(error)]
        return _render(application, approve_form=form, error=str(error))
    db.session.commit()
    response = render_template("volunteers/approved.html", user=user, password=password)
    # The one-time password must not be kept by the browser or any cache.
    return response, 200, {"Cache-Control": "no-store"}


@bp.route(f"{BASE}/lamaran/<int:application_id>/tolak", methods=["POST"])
@roles_required(*STAFF)
def decline_application(application_id: int):
    """Decline with a reason."""
    application = get_application_or_404(current_user, application_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _render(application, decline_form=form, error="Alasan penolakan wajib diisi.")
    try:
        decline(db.session, application, current_user, form.reason.data)
    except ApplicationError as error:
        db.session.rollback()
        return _render(application, decline_form=form, error=str(error))
    db.session.commit()
    flash(f"Lamaran {application.full_name} ditolak.", "success")
    return redirect(url_for("volunteers.applications"))


@bp.route(f"{BASE}/aktivitas")
@roles_required(*STAFF)
def activity():
    """Each volunteer's surveys submitted, returned and verified, to coach them."""
    return render_template("volunteers/activity.html", rows=volunteer_activity(current_user))
