"""Account administration views (admin: everything; staff: their kelurahan's volunteers)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from nutera.admin import audit_log, bp
from nutera.admin.audit_filters import audit_filter_form, filters_of
from nutera.admin.forms import (
    AccountFieldsForm,
    AssignmentForm,
    ConfirmForm,
    EditUserForm,
    TwoFactorPolicyForm,
    UserForm,
)
from nutera.admin.queries import kecamatan_choices, kelurahan_choices, rts_by_rw, users_for
from nutera.admin.services import (
    may_manage,
    reset_password,
    rts_of_rws,
    set_active,
    update_account,
)
from nutera.auth import twofactor
from nutera.auth.decorators import roles_required
from nutera.auth.services import AccountError, assign_rts, create_user
from nutera.extensions import db
from nutera.models import ROLES, Kelurahan, User
from nutera.scoping import get_visible_or_404
from nutera.security import LABELS as SECURITY_LABELS


def _offer_choices(form: AccountFieldsForm) -> None:
    if current_user.is_admin:
        form.set_choices(ROLES, kelurahan_choices(current_user), kecamatan_choices())
    else:
        form.set_choices({"volunteer": ROLES["volunteer"]}, kelurahan_choices(current_user))
        del form.kecamatan_code  # staff give only volunteers of their own kelurahan


def _chosen_kecamatan(form: AccountFieldsForm) -> str | None:
    return form.kecamatan_code.data or None if "kecamatan_code" in form else None


def _chosen_kelurahan(form: AccountFieldsForm) -> Kelurahan | None:
    return db.session.get(Kelurahan, form.kelurahan_id.data) if form.kelurahan_id.data else None


def _managed_user_or_404(user_id: int) -> User:
    user = get_visible_or_404(User, user_id, current_user)
    if not may_manage(current_user, user):
        abort(404)
    return user


@bp.route("/pengguna")
@roles_required("admin", "staff")
def users():
    """List the accounts the viewer manages."""
    return render_template(
        "admin/users.html",
        users=users_for(current_user),
        manageable=lambda user: may_manage(current_user, user),
        confirm=ConfirmForm(),
    )


@bp.route("/pengguna/baru", methods=["GET", "POST"])
@roles_required("admin", "staff")
def new_user():
    """Create an account (staff may only create volunteers of their own kelurahan)."""
    form = UserForm()
    _offer_choices(form)
    if form.validate_on_submit():
        try:
            user = create_user(
                db.session,
                username=form.username.data,
                full_name=form.full_name.data,
                password=form.password.data,
                role=form.role.data,
                kelurahan=_chosen_kelurahan(form),
                must_change_password=bool(form.must_change_password.data),
                kecamatan_code=_chosen_kecamatan(form),
            )
        except AccountError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Akun {user.username} ({user.role_label}) dibuat.", "success")
            if user.is_volunteer:
                return redirect(url_for("admin.assignments", user_id=user.id))
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, title="Tambah akun")


@bp.route("/pengguna/<int:user_id>/ubah", methods=["GET", "POST"])
@roles_required("admin", "staff")
def edit_user(user_id: int):
    """Change an account's name, role and kelurahan."""
    user = _managed_user_or_404(user_id)
    form = EditUserForm(obj=user)
    _offer_choices(form)
    if form.validate_on_submit():
        try:
            update_account(
                db.session,
                current_user,
                user,
                full_name=form.full_name.data,
                role=form.role.data,
                kelurahan=_chosen_kelurahan(form),
                kecamatan_code=_chosen_kecamatan(form),
            )
        except AccountError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Akun {user.username} disimpan.", "success")
            return redirect(url_for("admin.users"))
    return render_template(
        "admin/user_form.html",
        form=form,
        title=f"Ubah akun {user.username}",
        user=user,
        confirm=ConfirmForm(),
    )


@bp.route("/pengguna/<int:user_id>/aktif", methods=["POST"])
@roles_required("admin", "staff")
def toggle_active(user_id: int):
    """Deactivate (ending every open session) or reactivate an account."""
    user = _managed_user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        set_active(db.session, current_user, user, not user.active)
    except AccountError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        state = "diaktifkan kembali" if user.active else "dinonaktifkan; sesinya sudah diakhiri"
        flash(f"Akun {user.username} {state}.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/pengguna/<int:user_id>/reset-sandi", methods=["POST"])
@roles_required("admin", "staff")
def reset_user_password(user_id: int):
    """Issue a one-time password, shown once, to be changed at the next sign-in."""
    user = _managed_user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        temporary = reset_password(db.session, current_user, user)
    except AccountError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("admin.users"))
    db.session.commit()
    response = render_template("admin/password_reset.html", user=user, temporary=temporary)
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/pengguna/<int:user_id>/hapus-2fa", methods=["POST"])
@roles_required("admin")
def remove_two_factor(user_id: int):
    """Turn off a user's two-step sign-in (lost phone and recovery codes)."""
    user = _managed_user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    from nutera import security

    twofactor.remove(db.session, user)
    security.record_for(
        user,
        security.Event.TOTP_REMOVED,
        entity_id=user.id,
        details={"oleh": current_user.username},
        session=db.session,
    )
    db.session.commit()
    flash(f"Verifikasi dua langkah {user.username} dihapus.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/pengguna/<int:user_id>/penugasan", methods=["GET", "POST"])
@roles_required("admin", "staff")
def assignments(user_id: int):
    """Assign a volunteer to RTs of their kelurahan, RT by RT or whole RWs."""
    volunteer = get_visible_or_404(User, user_id, current_user)
    if not volunteer.is_volunteer:
        flash("Hanya relawan yang ditugaskan ke RT/RW.", "warning")
        return redirect(url_for("admin.users"))
    groups = rts_by_rw(volunteer.kelurahan_id)
    form = AssignmentForm()
    form.rt_ids.choices = [(rt_id, label) for _, _, rts in groups for rt_id, label in rts]
    form.rw_ids.choices = [(rw_id, f"RW {number:02d}") for rw_id, number, _ in groups]
    if request.method == "GET":
        assigned = {rt.id for rt in volunteer.assigned_rts}
        form.rt_ids.data = sorted(assigned)
        form.rw_ids.data = [
            rw_id for rw_id, _, rts in groups if rts and {r for r, _ in rts} <= assigned
        ]
    if form.validate_on_submit():
        chosen = set(form.rt_ids.data or []) | set(
            rts_of_rws(db.session, volunteer.kelurahan_id, form.rw_ids.data or [])
        )
        try:
            assign_rts(db.session, volunteer, sorted(chosen))
        except AccountError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Penugasan {volunteer.full_name} disimpan ({len(chosen)} RT).", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/assignments.html", form=form, volunteer=volunteer, groups=groups)


@bp.route("/keamanan", methods=["GET", "POST"])
@roles_required("admin")
def security_settings():
    """Which roles must use two-step sign-in."""
    form = TwoFactorPolicyForm()
    form.roles.choices = list(ROLES.items())
    if request.method == "GET":
        form.roles.data = sorted(twofactor.required_roles(db.session))
    if form.validate_on_submit():
        twofactor.set_required_roles(db.session, set(form.roles.data or []))
        db.session.commit()
        flash("Pengaturan verifikasi dua langkah disimpan.", "success")
        return redirect(url_for("admin.security_settings"))
    return render_template("admin/security.html", form=form)


@bp.route("/audit")
@roles_required("admin", "staff")
def audit():
    """The audit log of the viewer's kelurahan (admin: all), filtered and paged."""
    form = audit_filter_form(current_user, request.args)
    page = audit_log.audit_page(
        db.session, current_user, filters_of(form), request.args.get("page", 1, type=int)
    )
    return render_template(
        "admin/audit.html", form=form, page=page, audit_log=audit_log, event_labels=SECURITY_LABELS
    )
