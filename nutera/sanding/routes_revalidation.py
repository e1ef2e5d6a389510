"""Validating a list again, after the page has said what happens to its review work."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from nutera.auth.decorators import roles_required
from nutera.extensions import db
from nutera.models import DECISIONS
from nutera.refresh import jobs
from nutera.refresh import services as refresh_services
from nutera.refresh.states import RefreshStateError
from nutera.sanding import bp, queries
from nutera.sanding.forms import RevalidateForm
from nutera.sanding.routes import STAFF, _list_or_404


@bp.route("/daftar/<int:refresh_id>/validasi-ulang", methods=["GET", "POST"])
@roles_required(*STAFF)
def revalidate(refresh_id: int):
    """Say what validating again does to the list's review work; then do it."""
    refresh = _list_or_404(refresh_id)
    form = RevalidateForm()
    if form.validate_on_submit():
        try:
            job = refresh_services.request_analysis(db.session, refresh, current_user.id)
        except RefreshStateError as error:
            db.session.rollback()
            flash(str(error), "warning")
            return redirect(url_for("sanding.show", refresh_id=refresh.id))
        db.session.commit()
        jobs.start(current_app._get_current_object(), job.id)
        return redirect(url_for("refresh.show", refresh_id=refresh.id))
    return render_template(
        "sanding/revalidate.html",
        refresh=refresh,
        form=form,
        work=queries.review_work(db.session, refresh.id),
        decision_labels=DECISIONS,
    )
