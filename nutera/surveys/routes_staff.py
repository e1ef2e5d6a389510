"""Staff pages: the survey list and export, the verification queue and decisions, tasks."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from nutera.audit import current_actor
from nutera.auth.decorators import roles_required
from nutera.extensions import db
from nutera.models import (
    SURVEY_STATUSES,
    SURVEY_TASK_STATUSES,
    Household,
    Rt,
    SurveyTask,
    TaskStatus,
)
from nutera.scoping import get_visible_or_404, scoped_select
from nutera.surveys import bp
from nutera.surveys.approval import approve_many, approve_survey
from nutera.surveys.comparison import compare
from nutera.surveys.export import send_surveys_xlsx
from nutera.surveys.forms import DecisionForm, TaskForm
from nutera.surveys.queries import (
    SurveyFilters,
    clean_page,
    queue_page,
    rt_choices,
    survey_for,
    survey_page,
    surveys_by_ids,
    volunteer_choices,
)
from nutera.surveys.services import SurveyError, create_task, reject_survey, return_survey
from nutera.timeutil import utcnow


@bp.route("/daftar")
@roles_required("admin", "staff", "volunteer")
def survey_list():
    """Surveys in the viewer's scope, filterable by RT/RW, status, volunteer and date."""
    filters = SurveyFilters.from_args(request.args)
    page = survey_page(current_user, filters, request.args.get("page", 1, type=int))
    volunteers = volunteer_choices(current_user) if not current_user.is_volunteer else []
    return render_template(
        "surveys/list.html",
        page=page,
        filters=filters,
        statuses=SURVEY_STATUSES,
        volunteers=volunteers,
    )


@bp.route("/daftar.xlsx")
@roles_required("admin", "staff")
def export():
    """The filtered list as a spreadsheet."""
    return send_surveys_xlsx(current_user, SurveyFilters.from_args(request.args))


@bp.route("/verifikasi")
@roles_required("admin", "staff")
def queue():
    """One submitted survey at a time, next to the registry."""
    page = queue_page(current_user, request.args.get("page", 1, type=int))
    survey = page.items[0] if page.items else None
    comparison = (
        compare(db.session, survey, current_user, current_actor(db.session)) if survey else None
    )
    db.session.commit()  # what staff were told about records elsewhere is logged
    return render_template(
        "surveys/queue.html", page=page, survey=survey, comparison=comparison, form=DecisionForm()
    )


def _back_to_queue():
    return redirect(url_for("surveys.queue"))


@bp.route("/<int:survey_id>/setujui", methods=["POST"])
@roles_required("admin", "staff")
def approve(survey_id: int):
    """Approve: the registry is updated from the survey in one transaction."""
    survey = survey_for(current_user, survey_id)
    try:
        approve_survey(db.session, survey, current_user, utcnow())
    except SurveyError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return _back_to_queue()
    db.session.commit()
    flash(f"Survei #{survey.id} disetujui; data KK {survey.kk_number} diperbarui.", "success")
    return _back_to_queue()


@bp.route("/<int:survey_id>/keputusan", methods=["POST"])
@roles_required("admin", "staff")
def decide(survey_id: int):
    """Return to the volunteer for correction, or reject; both need a note."""
    survey = survey_for(current_user, survey_id)
    form = DecisionForm()
    action = request.form.get("action")
    if action not in ("return", "reject"):
        abort(400)
    if not form.validate_on_submit():
        return _decision_refused(
            survey, form, form.note.errors[0] if form.note.errors else "Formulir tidak sah."
        )
    try:
        (return_survey if action == "return" else reject_survey)(
            db.session, survey, current_user, form.note.data, utcnow()
        )
    except SurveyError as error:
        db.session.rollback()
        return _decision_refused(survey, form, str(error))
    db.session.commit()
    word = "dikembalikan ke relawan" if action == "return" else "ditolak"
    flash(f"Survei #{survey.id} {word}.", "success")
    return _back_to_queue()


def _decision_refused(survey, form: DecisionForm, message: str):
    """The same survey again with the typed note and why the decision was refused."""
    page = queue_page(current_user, request.form.get("page", 1, type=int))
    return render_template(
        "surveys/queue.html",
        page=page,
        survey=survey,
        comparison=compare(db.session, survey, current_user),
        form=form,
        decision_error=message,
    ), 422


@bp.route("/verifikasi/bersih", methods=["GET", "POST"])
@roles_required("admin", "staff")
def clean():
    """Submitted surveys with no warning; staff tick several and approve them together."""
    chosen: list[int] = []
    error = None
    if request.method == "POST":
        chosen = request.form.getlist("survey_id", type=int)  # bounded: see nutera.bounds
        try:
            count = approve_many(
                db.session, surveys_by_ids(current_user, chosen), current_user, utcnow()
            )
        except SurveyError as refused:
            db.session.rollback()
            error = str(refused)  # shown with the same boxes still ticked
        else:
            db.session.commit()
            flash(f"{count} survei disetujui.", "success")
            return redirect(url_for("surveys.clean"))
    page = clean_page(current_user, request.args.get("page", 1, type=int))
    return render_template(
        "surveys/clean.html", page=page, chosen=chosen, error=error
    ), 422 if error else 200


@bp.route("/tugas")
@roles_required("admin", "staff")
def tasks():
    """Survey tasks of the kelurahan, open ones first."""
    stmt = scoped_select(SurveyTask, current_user).order_by(
        SurveyTask.status != TaskStatus.TERBUKA, SurveyTask.created_at.desc()
    )
    page = db.paginate(
        stmt, page=request.args.get("page", 1, type=int), per_page=25, error_out=False
    )
    return render_template("surveys/tasks.html", page=page, statuses=SURVEY_TASK_STATUSES)


@bp.route("/tugas/baru", methods=["GET", "POST"])
@roles_required("admin", "staff")
def new_task():
    """Ask the volunteers of an RT to survey a household or address."""
    form = TaskForm()
    form.rt_id.choices = rt_choices(current_user)
    if form.validate_on_submit():
        rt = get_visible_or_404(Rt, form.rt_id.data, current_user)
        household = None
        if form.kk_number.data:
            household = db.session.scalar(
                scoped_select(Household, current_user).where(
                    Household.kk_number == form.kk_number.data
                )
            )
            if household is None:
                form.kk_number.errors.append("Nomor KK tidak ada di data kelurahan Anda.")
        if not form.kk_number.errors:
            create_task(
                db.session,
                current_user,
                rt,
                form.address.data,
                form.subject_name.data,
                form.note.data,
                household,
            )
            db.session.commit()
            flash("Tugas pendataan dibuat.", "success")
            return redirect(url_for("surveys.tasks"))
    return render_template("surveys/task_form.html", form=form)
