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
from nutera.refresh import bp, diff, export, jobs, queries, reader, services, staging
from nutera.refresh.commit import RefreshStateError
from nutera.refresh.diff import HOUSEHOLD_FIELDS, PERSON_FIELDS
from nutera.refresh.forms import UploadForm, mapping_form
from nutera.scoping import get_visible_or_404, may_manage_kelurahan

STAFF = ("admin", "staff")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload_form() -> UploadForm:
    form = UploadForm()
    query = db.select(Kelurahan).order_by(Kelurahan.name)
    if not current_user.is_admin:
        query = query.where(Kelurahan.id == current_user.kelurahan_id)
    form.kelurahan_id.choices = [SelectChoice(k.id, k.name) for k in db.session.scalars(query)]
    if not current_user.is_admin or (request.method == "GET" and current_user.kelurahan_id):
        form.kelurahan_id.data = current_user.kelurahan_id
    return form


def _start(refresh: Refresh, kind: str) -> RefreshJob:
    job = jobs.create_job(db.session, refresh, kind, current_user.id)
    db.session.commit()
    jobs.start(current_app._get_current_object(), job.id)
    return job


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
        source = " ".join(form.source.data.split())
        path = services.store_upload(
            form.file.data.stream, form.file.data.filename, current_app.config["UPLOAD_FOLDER"]
        )
        try:
            refresh, same = services.open_upload(
                db.session,
                form.kelurahan_id.data,
                current_user.id,
                source,
                path,
                form.file.data.filename,
                form.complete.data,
            )
        except reader.ReadError as error:
            path.unlink()
            form.file.errors.append(str(error))
        else:
            if same is None:
                db.session.commit()
                return redirect(url_for("refresh.mapping", refresh_id=refresh.id))
            path.unlink()
            flash(
                f"Berkas ini identik dengan pemutakhiran terakhir dari {source} "
                f"({same.filename}): tidak ada perubahan.",
                "info",
            )
            return redirect(url_for("refresh.index"))
    page = request.args.get("page", 1, type=int)
    refreshes, total = queries.refresh_page(db.session, current_user, page)
    sources = (
        staging.known_sources(db.session, current_user.kelurahan_id)
        if current_user.kelurahan_id
        else []
    )
    return render_template(
        "refresh/index.html",
        form=form,
        refreshes=refreshes,
        total=total,
        page=page,
        sources=sources,
    )


@bp.route("/<int:refresh_id>/pemetaan", methods=["GET", "POST"])
@roles_required(*STAFF)
def mapping(refresh_id: int):
    """Confirm which column is which; remembered for the next file from this source."""
    refresh = get_visible_or_404(Refresh, refresh_id, current_user)
    if refresh.status not in ("pemetaan", "pratinjau", "gagal"):
        return redirect(url_for("refresh.show", refresh_id=refresh.id))
    headers = refresh.layout["sheets"][0]["headers"]
    form = mapping_form(
        headers, refresh.mapping, formdata=request.form if request.method == "POST" else None
    )
    if form.validate_on_submit():
        chosen = {f: getattr(form, f).data for f in reader.FIELDS if getattr(form, f).data}
        refresh.mapping = chosen
        refresh.status = "analisis"
        staging.remember_mapping(db.session, refresh.kelurahan_id, refresh.source, chosen)
        _start(refresh, "analisis")
        return redirect(url_for("refresh.show", refresh_id=refresh.id))
    return render_template(
        "refresh/mapping.html",
        refresh=refresh,
        form=form,
        fields=reader.FIELDS,
        sheets=refresh.layout["sheets"],
    )


@bp.route("/<int:refresh_id>")
@roles_required(*STAFF)
def show(refresh_id: int):
    """Progress while a job runs; then the preview counts or the outcome."""
    refresh = get_visible_or_404(Refresh, refresh_id, current_user)
    job = jobs.running_job(db.session, refresh.id)
    last = staging.last_committed(db.session, refresh.kelurahan_id)
    return render_template(
        "refresh/show.html",
        refresh=refresh,
        job=job,
        failed_job=None if job else jobs.failed_job(db.session, refresh.id),
        details=queries.DETAILS,
        counts=refresh.counts or {},
        is_last=last is not None and last.id == refresh.id,
        person_fields=PERSON_FIELDS,
    )


@bp.route("/<int:refresh_id>/rincian/<kind>", methods=["GET", "POST"])
@roles_required(*STAFF)
def detail(refresh_id: int, kind: str):
    """One drill-down list of the preview; conflicts take per-field and bulk decisions."""
    refresh = get_visible_or_404(Refresh, refresh_id, current_user)
    if kind not in queries.DETAILS:
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
    page = queries.detail_page(db.session, refresh, kind, request.args.get("page", 1, type=int))
    decisions = services.decisions_of(db.session, refresh)
    return render_template(
        "refresh/detail.html",
        refresh=refresh,
        page=page,
        title=queries.DETAILS[kind],
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
    return _start_or_refuse(
        refresh,
        "terapkan",
        refresh.status == "pratinjau",
        "Pemutakhiran ini tidak dapat diterapkan sekarang.",
    )


@bp.post("/<int:refresh_id>/batalkan")
@roles_required(*STAFF)
def revert(refresh_id: int):
    """Restore every record the last refresh changed (in the background)."""
    refresh = get_visible_or_404(Refresh, refresh_id, current_user)
    last = staging.last_committed(db.session, refresh.kelurahan_id)
    return _start_or_refuse(
        refresh,
        "batalkan",
        last is not None and last.id == refresh.id,
        "Hanya pemutakhiran terakhir yang sudah diterapkan yang dapat dibatalkan.",
    )


@bp.post("/<int:refresh_id>/coba-lagi")
@roles_required(*STAFF)
def retry(refresh_id: int):
    """Run the refresh's failed job (analysis, commit or revert) again."""
    refresh = get_visible_or_404(Refresh, refresh_id, current_user)
    failed = jobs.failed_job(db.session, refresh.id)
    kind = failed.kind if failed is not None else None
    last = staging.last_committed(db.session, refresh.kelurahan_id)
    allowed = {
        "analisis": refresh.status in ("gagal", "analisis") and bool(refresh.mapping),
        "terapkan": refresh.status == "pratinjau",
        "batalkan": last is not None and last.id == refresh.id,
    }.get(kind, False)
    if allowed and kind == "analisis":
        refresh.status = "analisis"
    return _start_or_refuse(
        refresh, kind or "", allowed, "Tidak ada proses gagal yang dapat dicoba lagi."
    )


def _start_or_refuse(refresh: Refresh, kind: str, allowed: bool, refusal: str):
    """Start a background job unless it is not allowed or one is already running."""
    if not allowed or jobs.running_job(db.session, refresh.id):
        flash(refusal, "warning")
    else:
        _start(refresh, kind)
    return redirect(url_for("refresh.show", refresh_id=refresh.id))


@bp.route("/tugas/<int:job_id>")
@roles_required(*STAFF)
def job_status(job_id: int):
    """Progress of a background job, polled by the page."""
    job = db.session.get(RefreshJob, job_id)
    if job is None or not may_manage_kelurahan(current_user, job.kelurahan_id):
        abort(404)
    jobs.reap(db.session, [job])
    return jsonify(
        status=job.status,
        progress=job.progress,
        message=job.message,
        done=job.status in ("selesai", "gagal"),
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
