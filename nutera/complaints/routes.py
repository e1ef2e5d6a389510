"""Public pages: the complaint form, the lookup by code and the status page."""

from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from nutera import captcha
from nutera.admin.queries import rt_choices
from nutera.audit import Actor, set_actor
from nutera.complaints import bp, queries
from nutera.complaints.forms import ComplaintForm, LookupForm
from nutera.complaints.services import (
    ComplaintInput,
    file_complaint,
    holidays_for,
    local_today,
    normalize_code,
)
from nutera.extensions import db, limiter
from nutera.storage import UploadError

CAPTCHA_PURPOSE = "pengaduan"


def _chosen_kelurahan():
    """The deployment's only kelurahan, or the one picked with ?kelurahan=<code>, or None."""
    kelurahans = queries.kelurahan_list()
    if not kelurahans:
        abort(404)
    if len(kelurahans) == 1:
        return kelurahans[0], kelurahans
    code = request.args.get("kelurahan")
    return next((k for k in kelurahans if k.code == code), None), kelurahans


def complaint_input(form: ComplaintForm, kelurahan_id: int) -> ComplaintInput:
    def text(field) -> str:
        return (field.data or "").strip()  # fields a client left out arrive as None

    return ComplaintInput(
        kelurahan_id=kelurahan_id,
        rt_id=form.rt.data,
        category=form.category.data,
        description=text(form.description),
        subject_name=text(form.subject_name),
        subject_nik=form.subject_nik.data or None,
        subject_address=text(form.subject_address),
        reporter_name=text(form.reporter_name),
        reporter_phone=text(form.reporter_phone),
        anonymous=bool(form.anonymous.data),
        confidential=bool(form.confidential.data),
    )


def _submission_is_valid(form: ComplaintForm) -> bool:
    """Fields and captcha both checked (the captcha is used up either way); 400 for bots."""
    if form.website.data:
        abort(400)  # the honeypot was filled: a bot
    valid = form.validate_on_submit()
    if not captcha.check_answer(CAPTCHA_PURPOSE, form.captcha.data):
        form.captcha.errors = [*form.captcha.errors, "Huruf pada gambar tidak cocok."]
        valid = False
    return valid


@bp.route("/pengaduan", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COMPLAINT_FORM_RATE_LIMIT"], methods=["GET"])
@limiter.limit(lambda: current_app.config["COMPLAINT_ATTEMPT_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["COMPLAINT_RATE_LIMIT"],
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 302,
    scope="complaint-filed",
)
def new_complaint():
    """The public complaint form (no account needed)."""
    kelurahan, kelurahans = _chosen_kelurahan()
    if kelurahan is None:
        return render_template("complaints/choose_kelurahan.html", kelurahans=kelurahans)
    form = ComplaintForm()
    form.set_rt_choices(rt_choices(kelurahan.id))
    if request.method == "POST" and _submission_is_valid(form):
        set_actor(db.session, Actor(None))  # audited, but never with the reporter's IP
        try:
            complaint = file_complaint(
                db.session,
                complaint_input(form, kelurahan.id),
                form.photos.data,
                local_today(current_app.config["TIMEZONE"]),
                holidays_for(db.session, kelurahan.id),
            )
        except UploadError as error:
            form.photos.errors = [*form.photos.errors, str(error)]
        else:
            db.session.commit()
            session["complaint_filed"] = complaint.code
            return redirect(url_for("complaints.status", code=complaint.code))
    form.captcha.data = ""
    return render_template(
        "complaints/new.html",
        form=form,
        kelurahan=kelurahan,
        several=len(kelurahans) > 1,
        captcha_image=captcha.new_challenge(CAPTCHA_PURPOSE),
        recent=queries.recent_public(kelurahan.id, current_app.config["TIMEZONE"]),
    )


@bp.route("/pengaduan/cek")
def lookup():
    """Go from a typed tracking code to its status page."""
    form = LookupForm(request.args)
    code = normalize_code(form.code.data)
    if code:
        return redirect(url_for("complaints.status", code=code))
    form.validate()
    if form.code.data:
        form.code.errors = ["Kode tidak dikenali. Contoh: NTR-K7XMA-3PC9R."]
    return render_template("complaints/lookup.html", form=form), 200


def _private(response):
    """The code in the URL is the key to the page: never cache, index or pass it on."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/pengaduan/<code>")
@limiter.limit(lambda: current_app.config["COMPLAINT_LOOKUP_RATE_LIMIT"])
def status(code: str):
    """A complaint's public status: category, dates, status and public answers only."""
    canonical = normalize_code(code)
    if canonical is None:
        abort(404)
    if canonical != code:
        return redirect(url_for("complaints.status", code=canonical))
    complaint = queries.by_code(canonical)
    if complaint is None:
        abort(404)
    just_filed = session.pop("complaint_filed", None) == complaint.code
    return _private(
        current_app.make_response(
            render_template(
                "complaints/status.html",
                complaint=complaint,
                just_filed=just_filed,
                answers=queries.public_answers(complaint),
            )
        )
    )
