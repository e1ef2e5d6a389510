"""Public and volunteer pages: apply to join, read the guide and accept the pledge."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from nutera.audit import Actor, set_actor
from nutera.auth.decorators import roles_required
from nutera.complaints.queries import kelurahan_list
from nutera.extensions import db, limiter
from nutera.volunteers import bp
from nutera.volunteers.forms import ApplicationForm, PledgeForm
from nutera.volunteers.queries import rw_choices
from nutera.volunteers.services import (
    PLEDGE_VERSION,
    ApplicationInput,
    accept_pledge,
    apply,
    pledged_at,
)


def _chosen_kelurahan():
    """The deployment's only kelurahan, or the one picked with ?kelurahan=<code>, or None."""
    kelurahans = kelurahan_list()
    if not kelurahans:
        abort(404)
    if len(kelurahans) == 1:
        return kelurahans[0], kelurahans
    code = request.args.get("kelurahan")
    return next((k for k in kelurahans if k.code == code), None), kelurahans


@bp.route("/daftar-relawan", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["VOLUNTEER_APPLY_RATE_LIMIT"], methods=["POST"])
def apply_page():
    """A student applies to join the kelurahan's volunteers (no account needed)."""
    kelurahan, kelurahans = _chosen_kelurahan()
    if kelurahan is None:
        return render_template("volunteers/choose_kelurahan.html", kelurahans=kelurahans)
    form = ApplicationForm()
    form.preferred_rw.choices = [("", "Di mana saja")] + rw_choices(kelurahan.id)
    if form.validate_on_submit():
        if form.website.data:
            abort(400)  # the honeypot was filled: a bot
        set_actor(db.session, Actor(None))  # audited, but never with the applicant's IP
        apply(
            db.session,
            kelurahan,
            ApplicationInput(
                full_name=form.full_name.data,
                campus=form.campus.data,
                phone=form.phone.data,
                preferred_rw_id=form.preferred_rw.data,
                availability=form.availability.data,
            ),
        )
        db.session.commit()
        return redirect(url_for("volunteers.applied"))
    return render_template(
        "volunteers/apply.html", form=form, kelurahan=kelurahan, several=len(kelurahans) > 1
    ), 422 if form.errors else 200


@bp.route("/daftar-relawan/terkirim")
def applied():
    """Thanks, and what happens next."""
    return render_template("volunteers/applied.html")


@bp.route("/relawan/panduan", methods=["GET", "POST"])
@roles_required("volunteer")
def guide():
    """The short guide and the data-confidentiality pledge, accepted before a first survey."""
    form = PledgeForm()
    accepted = pledged_at(db.session, current_user)
    if accepted is None and form.validate_on_submit():
        accept_pledge(db.session, current_user)
        db.session.commit()
        flash("Terima kasih. Janji kerahasiaan tercatat; selamat mendata.", "success")
        return redirect(url_for("surveys.assignments"))
    return render_template(
        "volunteers/guide.html", form=form, accepted=accepted, version=PLEDGE_VERSION
    )
