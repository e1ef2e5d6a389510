"""Staff pages: upload, mapping, preview with drill-down, commit, revert, export."""

import io

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from nutera.auth.decorators import roles_required
from nutera.extensions import db
from nutera.models import CONFLICT_CHOICES, Kelurahan, Refresh, RefreshJob
from nutera.refresh import bp, details, diff, export, jobs, queries, reader, services
from nutera.refresh.diff import HOUSEHOLD_FIELDS, PERSON_FIELDS
from nutera.refresh.forms import UploadForm, mapping_form
from nutera.refresh.states import JOB_FINISHED, MAPPABLE, RefreshStateError
from nutera.sanding.kinds import SourceKindError
from nutera.scoping import get_visible_or_404, may_manage_kelurahan, visible_kelurahans

STAFF = ("admin", "staff")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload_form() -> UploadForm:
    form = UploadForm()
    query = visible_kelurahans(current_user).order_by(Kelurahan.name)
    form.kelurahan_id.choices = [SelectChoice(k.id, k.name) for k in db.session.scalars(query)]
    if not current_user.is_admin or (request.method == "GET" and current_user.kelurahan_id):
        form.kelurahan_id.data = current_user.kelurahan_id
    return form


def _launch(request_job, refresh: Refresh) -> None:
    """Ask the workflow for a job; commit and start it, or show why it was refused."""
    try:
        job = request_job(db.session, refresh, current_user.id)
    except RefreshStateError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return
    db.session.commit()
    jobs.start(current_app._get_current_object(), job.id)


@bp.route("/", methods=["GET", "POST"])
@roles_required(*STAFF)
def index():
    """Upload form and the history of refreshes."""
    if request.method == "POST":  # city extracts are larger than other uploads
        request.max_content_length = current_app.config.get(
            "REFRESH_MAX_UPLOAD_BYTES", 300 * 1024 * 1024
        )
    form = _upload_form()
    if form.validate_on_submit():
        if not may_manage_kelurahan(current_user, form.kelurahan_id.data):
            abort(404)
        try:
            upload = services.start_upload(
                db.session,
                form.kelurahan_id.data,
                current_user.id,
                form.source.data,
                form.file.data.stream,
                form.file.data.filename,
                current_app.config["UPLOAD_FOLDER"],
                form.complete.data,
                form.kind.data or None,
                form.program.data or "",
            )
        except reader.ReadError as error:
            form.file.errors.append(str(error))
        except SourceKindError as error:
            db.session.rollback()
            form.kind.errors.append(str(error))
        else:
            if upload.same is None:
                db.session.commit()
                return redirect(url_for("refresh.mapping", refresh_id=upload.refresh.id))
            flash(
                f"Berkas ini identik dengan pemutakhiran terakhir dari {upload.source} "
                f"({upload.same.filename}): tidak ada perubahan.",
                "info",
            )
            return redirect(url_for("refresh.index"))
    history = queries.refresh_page(db.session, current_user, request.args.get("page", 1, type=int))
    sources = (
        queries.known_sources(db.session, current_user.kelurahan_id)
        if current_user.kelurahan_id
        else []
    )
    return render_template(
        "refresh/index.html",
        form=form,
        refreshes=history.items,
        total=history.total,
        page=history.page,
        sources=sources,
    )


@bp.route("/<int:refresh_id>/pemetaan", methods=["GET", "POST"])
@roles_required(*STAFF)
def mapping(refresh_id: int):
    """Confirm which column is which; remembered for the next file from this source."""
    refresh = get_visible_or_404(Refresh, refresh_id, current_user)
    if refresh.status not in MAPPABLE:
        return redirect(url_for("refresh.show", refresh_id=refresh.id))
    headers = refresh.layout["sheets"][0]["headers"]
    samples = services.column_samples(refresh)
    form = mapping_form(
        headers,
        refresh.mapping,
        formdata=request.form if request.method == "POST" else None,
        samples=samples,
    )
    if form.validate_on_submit():
        chosen = {f: getattr(form, f).data for f in reader.FIELDS if getattr(form, f).data}
        try:
            services.confirm_mapping(db.session, refresh, chosen)
        except RefreshStateError as error:
            db.session.rollback()
            flash(str(error), "warning")
        else:
            _launch(services.request_analysis, refresh)
        return redirect(url_for("refresh.show", refresh_id=refresh.id))
    return render_template(
        "refresh/mapping.html",
        refresh=refresh,
        form=form,
        fields=reader.FIELDS,
        sheets=refresh.layout["sheets"],
        samples=samples,
    )


@bp.route("/<int:refresh_id>")
@roles_required(*STAFF)
def show(refresh_id: int):
    """Progress while a job runs; then the preview counts or the outcome."""
    refresh = get_visible_or_404(Refresh, refresh_id, current_user)
    job = jobs.running_job(db.session, refresh.id)
    if (
        job is None
        and refresh.status == "pratinjau"
        and services.is_recipient_list(db.session, refresh)
    ):  # a validated recipient list has its own page (nutera/sanding)
        return redirect(url_for("sanding.show", refresh_id=refresh.id))
    return render_template(
        "refresh/show.html",
        refresh=refresh,
        job=job,
        failed_job=None if job else jobs.failed_job(db.session, refresh.id),
        counts=refresh.counts or {},
        is_last=queries.is_last_committed(db.session, refresh),
        person_fields=PERSON_FIELDS,
    )


@bp.route("/<int:refresh_id>/rincian/<kind>", methods=["GET", "POST"])
@roles_required(*STAFF)
def detail(refresh_id: int, kind: str):
    """One drill-down list of the preview; conflicts take per-field and bulk decisions."""
    refresh = get_visible_or_404(Refresh, refresh_id, current_user)
    if kind not in details.DETAILS:
        abort(404)
    if request.method == "POST":
        try:
            saved = services.decide_conflicts(
                db.session,
                refresh,
                services.parse_choices(request.form.to_dict()),
                request.form.get("bulk") or None,
            )
        except RefreshStateError as error:
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(f"Keputusan disimpan ({saved} kolom).", "success")
        return redirect(url_for("refresh.detail", refresh_id=refresh.id, kind=kind))
    page = details.detail_page(db.session, refresh, kind, request.args.get("page", 1, type=int))
    decisions = services.decisions_of(db.session, refresh)
    return render_template(
        "refresh/detail.html",
        refresh=refresh,
        page=page,
        title=details.DETAILS[kind].title,
        decisions=decisions,
        choices=CONFLICT_CHOICES,
        person_fields=PERSON_FIELDS,
        household_fields={f: HOUSEHOLD_FIELDS[f] for f in diff.household_fields(refresh)},
    )


@bp.post("/<int:refresh_id>/lewati/<int:row_id>")
@roles_required(*STAFF)
def skip_row(refresh_id: int, row_id: int):
    """Leave a possible duplicate out of the commit, or take it back in."""
    refresh = get_visible_or_404(Refresh, refresh_id, current_user)
    try:
        skipped = services.toggle_skip(db.session, refresh, row_id)
    except RefreshStateError as error:
        flash(str(error), "danger")
    else:
        services.recount(db.session, refresh)
        db.session.commit()
        flash("Baris dilewati." if skipped else "Baris diikutkan kembali.", "success")
    return redirect(url_for("refresh.detail", refresh_id=refresh.id, kind="duplikat"))


@bp.post("/<int:refresh_id>/terapkan")
@roles_required(*STAFF)
def commit(refresh_id: int):
    """Write the previewed refresh to the registry (in the background)."""
    refresh = get_visible_or_404(Refresh, refresh_id, current_user)
    _launch(services.request_commit, refresh)
    return redirect(url_for("refresh.show", refresh_id=refresh.id))


@bp.post("/<int:refresh_id>/batalkan")
@roles_required(*STAFF)
def revert(refresh_id: int):
    """Restore every record the last refresh changed (in the background)."""
    refresh = get_visible_or_404(Refresh, refresh_id, current_user)
    _launch(services.request_revert, refresh)
    return redirect(url_for("refresh.show", refresh_id=refresh.id))


@bp.post("/<int:refresh_id>/coba-lagi")
@roles_required(*STAFF)
def retry(refresh_id: int):
    """Run the refresh's failed job (analysis, commit or revert) again."""
    refresh = get_visible_or_404(Refresh, refresh_id, current_user)
    _launch(services.request_retry, refresh)
    return redirect(url_for("refresh.show", refresh_id=refresh.id))


@bp.route("/tugas/<int:job_id>")
@roles_required(*STAFF)
def job_status(job_id: int):
    """Progress of a background job, polled by the page."""
    job = get_visible_or_404(RefreshJob, job_id, current_user)
    jobs.reap(db.session, [job])
    return jsonify(
        status=job.status,
        progress=job.progress,
        message=job.message,
        done=job.status in JOB_FINISHED,
    )


@bp.route("/<int:refresh_id>/ditolak.xlsx")
@roles_required(*STAFF)
def rejected_report(refresh_id: int):
    """The rejected rows with a reason column, to send back to the kelurahan."""
    refresh = get_visible_or_404(Refresh, refresh_id, current_user)
    return _xlsx(
        lambda buffer: export.rejected_rows_report(db.session, refresh, buffer),
        f"baris-ditolak-{refresh.id}.xlsx",
    )


def _xlsx(write, filename: str):
    """Send a workbook written into memory by write(buffer)."""
    buffer = io.BytesIO()
    write(buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=filename)


@bp.route("/ekspor.xlsx")
@roles_required(*STAFF)
def export_xlsx():
    """The weekly workbook back to the kelurahan."""
    kelurahan_id = request.args.get("kelurahan_id", type=int) or current_user.kelurahan_id
    if kelurahan_id is None or not may_manage_kelurahan(current_user, kelurahan_id):
        abort(404)
    return _xlsx(
        lambda buffer: export.export_workbook(db.session, kelurahan_id, buffer),
        "nutera-untuk-kelurahan.xlsx",
    )


@bp.app_template_global()
def refresh_overdue(kelurahan_id: int):
    """(overdue, last refresh time) for the staff dashboard panel."""
    return queries.overdue(db.session, kelurahan_id)
