"""Volunteer pages: assignments, the survey form with autosave, a survey's detail and photo."""

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from nutera.audit import current_actor
from nutera.auth.decorators import roles_required
from nutera.extensions import db
from nutera.models import Household, SurveyStatus, SurveyTask, TaskStatus
from nutera.scoping import get_visible_or_404, scoped_select
from nutera.storage import DEFAULT_MAX_BYTES, UploadError, save_image, send_stored
from nutera.surveys import bp
from nutera.surveys.checks import period_label, period_of
from nutera.surveys.comparison import compare
from nutera.surveys.forms import MemberForm, SurveyForm
from nutera.surveys.households import draft_head_name, rt_household_page
from nutera.surveys.queries import open_tasks, resumable, rt_choices, rt_progress, survey_for
from nutera.surveys.services import (
    SurveyError,
    SurveyTaken,
    blocking_problems,
    discard_draft,
    duplicate_survey,
    pairs_from_survey,
    save_draft,
    start_survey,
    submit_once,
)
from nutera.timeutil import local_today, utcnow
from nutera.volunteers.services import pledged_at


@bp.route("/")
@roles_required("admin", "staff", "volunteer")
def assignments():
    """A volunteer's RTs with progress, open tasks and drafts to resume."""
    if not current_user.is_volunteer:
        return redirect(url_for("surveys.survey_list"))
    period = period_of(local_today(current_user.kelurahan))
    return render_template(
        "surveys/assignments.html",
        progress=rt_progress(current_user, period),
        period=period_label(period),
        tasks=open_tasks(current_user),
        drafts=resumable(current_user),
        draft_head_name=draft_head_name,
        pledged=pledged_at(db.session, current_user) is not None,
    )


@bp.route("/mulai", methods=["POST"])
@roles_required("volunteer")
def start():
    """Open a draft, from a task or for a chosen RT (and KK, if already registered)."""
    if pledged_at(db.session, current_user) is None:
        flash("Sebelum survei pertama, baca panduan dan setujui janji kerahasiaan data.", "info")
        return redirect(url_for("volunteers.guide"))
    task = household = None
    kk = "".join(ch for ch in request.form.get("kk", "") if ch.isdigit())[:16]
    if request.form.get("task_id", type=int):
        task = get_visible_or_404(SurveyTask, request.form.get("task_id", type=int), current_user)
        if task.status != TaskStatus.TERBUKA:
            flash("Tugas ini sudah selesai atau dibatalkan.", "info")
            return redirect(url_for("surveys.assignments"))
        rt = task.rt
    else:
        rt = next(
            (r for r in current_user.assigned_rts if r.id == request.form.get("rt_id", type=int)),
            None,
        )
        if rt is None:
            abort(404)
        if kk:
            household = db.session.scalar(
                scoped_select(Household, current_user).where(Household.kk_number == kk)
            )
    survey = start_survey(
        db.session, current_user, rt, local_today(current_user.kelurahan), task, household, kk
    )
    db.session.commit()
    return redirect(url_for("surveys.fill", survey_id=survey.id))


def _store_photo(form: SurveyForm, survey) -> None:
    upload = form.photo.data
    if not upload or not getattr(upload, "filename", ""):
        return
    try:
        stored = save_image(
            upload.stream,
            "survey",
            max_bytes=current_app.config.get("SURVEY_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES),
        )
    except UploadError as error:
        form.photo.errors = [str(error)]
    else:
        survey.house_photo = stored.path


def _attach_blocking(form: SurveyForm, survey) -> bool:
    niks = [entry.form.nik.data or "" for entry in form.members]
    problems = blocking_problems(db.session, survey, form.kk_number.data, niks)
    for key, message in problems.items():
        if key == "kk_number":
            form.kk_number.errors.append(message)
        else:
            form.members[int(key.split("-")[1])].form.nik.errors.append(message)
    return not problems


def _kk_link(form: SurveyForm, survey) -> tuple[str, str] | None:
    """Where the volunteer can look at the record their KK collides with, if they may."""
    if not form.kk_number.errors or not form.kk_number.data:
        return None
    other = duplicate_survey(db.session, survey, form.kk_number.data)
    if other is not None and other.volunteer_id == current_user.id:
        return url_for("surveys.detail", survey_id=other.id), f"Lihat survei #{other.id}"
    household_id = db.session.scalar(
        scoped_select(Household, current_user)
        .with_only_columns(Household.id)
        .where(Household.kk_number == form.kk_number.data)
    )
    if household_id is not None:
        return url_for("registry.household", household_id=household_id), "Lihat KK di registri"
    return None


@bp.route("/<int:survey_id>/isi", methods=["GET", "POST"])
@roles_required("volunteer")
def fill(survey_id: int):
    """The household survey form; a failed submission keeps every row and shows each error."""
    survey = survey_for(current_user, survey_id)
    if not survey.editable:
        flash("Survei ini sudah dikirim.", "info")
        return redirect(url_for("surveys.detail", survey_id=survey.id))
    if request.method == "POST":
        form = SurveyForm()
    else:
        form = SurveyForm(formdata=MultiDict(survey.draft or pairs_from_survey(survey)))
    form.rt_id.choices = rt_choices(current_user)
    if request.method == "POST" and request.form.get("action") == "draft":
        _store_photo(form, survey)
        save_draft(survey, _typed_pairs(), utcnow())
        db.session.commit()
        flash("Draf disimpan. Lanjutkan kapan saja dari halaman Tugas survei.", "success")
        return redirect(url_for("surveys.fill", survey_id=survey.id))
    if request.method == "POST":
        valid = form.validate()
        _store_photo(form, survey)
        if valid and not form.photo.errors and _attach_blocking(form, survey):
            try:
                fresh = submit_once(db.session, survey, current_user, form.data, utcnow())
            except SurveyTaken as error:
                form.kk_number.errors.append(str(error))
            else:
                db.session.commit()
                flash(
                    "Survei terkirim dan menunggu verifikasi petugas."
                    if fresh
                    else "Survei ini sudah terkirim sebelumnya; tidak dikirim dua kali.",
                    "success" if fresh else "info",
                )
                return redirect(url_for("surveys.detail", survey_id=survey.id))
        save_draft(survey, _typed_pairs(), utcnow())
        db.session.commit()
        flash("Survei belum terkirim: periksa isian yang ditandai merah.", "danger")
    status = 422 if form.errors or form.photo.errors else 200
    return render_template(
        "surveys/form.html",
        form=form,
        survey=survey,
        kk_link=_kk_link(form, survey) if request.method == "POST" else None,
        member_template=MemberForm(prefix="members-__index__-"),
    ), status


def _typed_pairs() -> list[list[str]]:
    """What the volunteer typed, as draft pairs (the buttons left out)."""
    return [[k, v] for k, v in request.form.items(multi=True) if k != "action"]


@bp.route("/<int:survey_id>/buang", methods=["POST"])
@roles_required("volunteer")
def discard(survey_id: int):
    """Throw away an unsent draft (the deletion stays in the audit log)."""
    survey = survey_for(current_user, survey_id)
    try:
        discard_draft(db.session, survey, current_user)
    except SurveyError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("surveys.assignments"))
    db.session.commit()
    flash(f"Draf #{survey_id} dibuang.", "success")
    return redirect(url_for("surveys.assignments"))


@bp.route("/<int:survey_id>/draf", methods=["POST"])
@roles_required("volunteer")
def autosave(survey_id: int):
    """Keep the form state on the server (JSON, CSRF token in the X-CSRFToken header)."""
    survey = survey_for(current_user, survey_id)
    payload = request.get_json(silent=True) or {}
    try:
        save_draft(survey, payload.get("fields"), utcnow())
    except SurveyError as error:
        return jsonify(error=str(error)), 409
    db.session.commit()
    return jsonify(saved_at=int(survey.draft_saved_at.timestamp() * 1000))


@bp.route("/<int:survey_id>")
@roles_required("admin", "staff", "volunteer")
def detail(survey_id: int):
    """A survey, its differences with the registry and its status history."""
    survey = survey_for(current_user, survey_id)
    comparison = (
        compare(db.session, survey, current_user, current_actor(db.session))
        if survey.status != SurveyStatus.DRAFT
        else None
    )
    db.session.commit()  # what staff were told about records elsewhere is logged
    return render_template("surveys/detail.html", survey=survey, comparison=comparison)


@bp.route("/<int:survey_id>/foto")
@roles_required("admin", "staff", "volunteer")
def photo(survey_id: int):
    """The house photo, only to those who may see the survey."""
    survey = survey_for(current_user, survey_id)
    if not survey.house_photo:
        abort(404)
    return send_stored(survey.house_photo)


@bp.route("/rt/<int:rt_id>/kk")
@roles_required("volunteer")
def registered_households(rt_id: int):
    """Registered KKs of one assigned RT, to start a survey prefilled from the registry."""
    rt = next((r for r in current_user.assigned_rts if r.id == rt_id), None)
    if rt is None:
        abort(404)
    query = request.args.get("q", "").strip()[:60]
    page = rt_household_page(current_user, rt, query, request.args.get("page", 1, type=int))
    return render_template("surveys/rt_households.html", rt=rt, page=page, query=query)
