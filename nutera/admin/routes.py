"""Account administration views (admin: everything; staff: their kelurahan's volunteers)."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from nutera.admin import audit_log, bp
from nutera.admin.audit_filters import audit_filter_form, filters_of
from nutera.admin.forms import AssignmentForm, UserForm
from nutera.admin.queries import kelurahan_choices, rt_choices, users_for
from nutera.auth.decorators import roles_required
from nutera.auth.services import AccountError, assign_rts, create_user
from nutera.extensions import db
from nutera.models import ROLES, Kelurahan, User
from nutera.scoping import get_visible_or_404


@bp.route("/pengguna")
@roles_required("admin", "staff")
def users():
    """List the accounts the viewer manages."""
    return render_template("admin/users.html", users=users_for(current_user))


@bp.route("/pengguna/baru", methods=["GET", "POST"])
@roles_required("admin", "staff")
def new_user():
    """Create an account (staff may only create volunteers of their own kelurahan)."""
    form = UserForm()
    roles = ROLES if current_user.is_admin else {"volunteer": ROLES["volunteer"]}
    form.role.choices = list(roles.items())
    kelurahan_options = kelurahan_choices(current_user)
    if current_user.is_admin:
        kelurahan_options.insert(0, (0, "— (admin seluruh kota)"))
    form.kelurahan_id.choices = kelurahan_options
    if form.validate_on_submit():
        kelurahan = (
            db.session.get(Kelurahan, form.kelurahan_id.data) if form.kelurahan_id.data else None
        )
        try:
            user = create_user(
                db.session,
                username=form.username.data,
                full_name=form.full_name.data,
                password=form.password.data,
                role=form.role.data,
                kelurahan=kelurahan,
            )
        except AccountError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Akun {user.username} dibuat.", "success")
            if user.is_volunteer:
                return redirect(url_for("admin.assignments", user_id=user.id))
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form)


@bp.route("/pengguna/<int:user_id>/penugasan", methods=["GET", "POST"])
@roles_required("admin", "staff")
def assignments(user_id: int):
    """Assign a volunteer to RTs of their kelurahan."""
    volunteer = get_visible_or_404(User, user_id, current_user)
    if not volunteer.is_volunteer:
        flash("Hanya relawan yang ditugaskan ke RT/RW.", "warning")
        return redirect(url_for("admin.users"))
    form = AssignmentForm()
    form.rt_ids.choices = rt_choices(volunteer.kelurahan_id)
    if request.method == "GET":
        form.rt_ids.data = [rt.id for rt in volunteer.assigned_rts]
    if form.validate_on_submit():
        try:
            assign_rts(db.session, volunteer, form.rt_ids.data)
        except AccountError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Penugasan {volunteer.full_name} disimpan.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/assignments.html", form=form, volunteer=volunteer)


@bp.route("/audit")
@roles_required("admin", "staff")
def audit():
    """The audit log of the viewer's kelurahan (admin: all), filtered and paged."""
    form = audit_filter_form(current_user, request.args)
    page = audit_log.audit_page(
        db.session, current_user, filters_of(form), request.args.get("page", 1, type=int)
    )
    return render_template(
        "admin/audit.html", form=form, page=page, audit_log=audit_log, event_labels={}
    )
