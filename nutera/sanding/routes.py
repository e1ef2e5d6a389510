"""Staff pages: validated lists, the verification queue, decisions, reports, exclusions."""

import io
from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from nutera.audit import Actor
from nutera.auth.decorators import roles_required
from nutera.extensions import db
from nutera.models import (
    CANDIDATE_KINDS,
    DECISIONS,
    REVIEWS,
    ROW_STATUSES,
    AidProgram,
    Kelurahan,
    Refresh,
    SandingRow,
    User,
)
from nutera.sanding import bp, export, history, kinds, queries, services
from nutera.sanding.forms import AssignForm, DecisionForm, EnrolForm
from nutera.sanding.review import SandingError
from nutera.scoping import get_visible_or_404
from nutera.spreadsheet import XLSX_MIMETYPE
from nutera.timeutil import day_end_utc, day_start_utc, local_today, utcnow

STAFF = ("admin", "staff")


def _list_or_404(refresh_id: int) -> Refresh:
    refresh = get_visible_or_404(Refresh, refresh_id, current_user)
    if not kinds.is_recipient_list(db.session, refresh):
        abort(404)
    return refresh


def _actor() -> Actor:
    return Actor(current_user.id, request.remote_addr)


def _xlsx(write, filename: str):
    buffer = io.BytesIO()
    write(buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename)


@bp.route("/")
@roles_required(*STAFF)
def index():
    """The recipient lists validated so far and where work waits."""
    page = queries.recipient_lists(db.session, current_user, request.args.get("page", 1, type=int))
    counts = {r.id: r.counts.get("sanding", {}) for r in page.items}
    return render_template("sanding/index.html", page=page, counts=counts, statuses=ROW_STATUSES)


@bp.route("/daftar/<int:refresh_id>")
@roles_required(*STAFF)
def show(refresh_id: int):
    """A validated list: counts per status, its rows, bulk confirmation, export."""
    refresh = _list_or_404(refresh_id)
    status = request.args.get("status") or None
    if status is not None and status not in ROW_STATUSES:
        status = None
    page = queries.row_page(
        db.session, current_user, refresh, status, request.args.get("page", 1, type=int)
    )
    enrol = EnrolForm()
    enrol.program_id.choices = _programs(refresh)
    return render_template(
        "sanding/show.html",
        refresh=refresh,
        page=page,
        status=status,
        counts=queries.status_counts(db.session, refresh.id),
        reviews=queries.review_counts(db.session, refresh.id),
        statuses=ROW_STATUSES,
        review_labels=REVIEWS,
        history=history.aid_history(db.session, [r.person_id for r in page.items if r.person_id]),
        enrol=enrol,
    )


def _programs(refresh: Refresh) -> list[tuple[int, str]]:
    query = (
        sa.select(AidProgram)
        .where(AidProgram.kelurahan_id == refresh.kelurahan_id, AidProgram.active.is_(True))
        .order_by(AidProgram.code)
    )
    return [(p.id, f"{p.code} — {p.name}") for p in db.session.scalars(query)]


@bp.route("/daftar/<int:refresh_id>/ekspor.xlsx")
@roles_required(*STAFF)
def export_list(refresh_id: int):
    """The validated list (status per row, aid history) for the social office."""
    refresh = _list_or_404(refresh_id)
    return _xlsx(
        lambda buffer: export.write_validated_list(
            db.session, current_user, refresh, buffer, None
        ),
        f"daftar-tervalidasi-{refresh.id}.xlsx",
    )


@bp.post("/daftar/<int:refresh_id>/konfirmasi-massal")
@roles_required(*STAFF)
def bulk_confirm(refresh_id: int):
    """Confirm every row with one strong candidate."""
    refresh = _list_or_404(refresh_id)
    count = services.bulk_confirm(
        db.session, refresh, _actor(), utcnow(), services.current_thresholds()
    )
    db.session.commit()
    flash(f"{count} baris dikonfirmasi massal; NIK-nya dibetulkan.", "success")
    return redirect(url_for("sanding.show", refresh_id=refresh.id))


@bp.post("/daftar/<int:refresh_id>/daftarkan")
@roles_required(*STAFF)
def enrol(refresh_id: int):
    """Enrol the list's valid rows in the chosen program."""
    refresh = _list_or_404(refresh_id)
    form = EnrolForm()
    form.program_id.choices = _programs(refresh)
    if not form.validate_on_submit():
        flash("Pilih program.", "warning")
        return redirect(url_for("sanding.show", refresh_id=refresh.id))
    program = get_visible_or_404(AidProgram, form.program_id.data, current_user)
    try:
        kelurahan = db.session.get(Kelurahan, refresh.kelurahan_id)
        count = services.enrol_valid(
            db.session, refresh, program, _actor(), local_today(kelurahan)
        )
    except SandingError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(f"{count} kepesertaan {program.code} dibuat dari baris valid.", "success")
    return redirect(url_for("sanding.show", refresh_id=refresh.id))


@bp.route("/antrean")
@roles_required(*STAFF)
def queue():
    """Rows waiting for a decision, and each operator's load today."""
    who = request.args.get("siapa", "")
    page = queries.queue_page(db.session, current_user, request.args.get("page", 1, type=int), who)
    day = _day(request.args.get("hari", ""))
    loads = queries.operator_counts(db.session, current_user, day_start_utc(day), day_end_utc(day))
    return render_template(
        "sanding/queue.html",
        page=page,
        who=who,
        loads=loads,
        day=day,
        today=local_today(),
        statuses=ROW_STATUSES,
        review_labels=REVIEWS,
    )


def _day(text: str) -> date:
    """The local day asked for (YYYY-MM-DD), else today."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return local_today()


def _row_page(row: SandingRow, form: DecisionForm, status: int = 200):
    candidates = queries.candidates_of(db.session, row)
    views = queries.person_views(db.session, current_user, row, candidates)
    form.candidate_id.choices = [
        (v.candidate_id, f"{v.name} · NIK {v.nik} · {v.kelurahan} · skor {v.score}")
        for v in views
        if v.candidate_id is not None
    ]
    assign = AssignForm()
    assign.colleague_id.choices = [
        (u.id, u.full_name) for u in queries.colleagues(db.session, row) if u.id != current_user.id
    ]
    return (
        render_template(
            "sanding/row.html",
            row=row,
            refresh=db.session.get(Refresh, row.refresh_id),
            views=views,
            form=form,
            assign=assign,
            decisions=queries.decisions_of(db.session, row),
            kinds=CANDIDATE_KINDS,
            decision_labels=DECISIONS,
            review_labels=REVIEWS,
            history=history.aid_history(db.session, [v.person_id for v in views]),
        ),
        status,
    )


@bp.route("/baris/<int:row_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def row(row_id: int):
    """One row beside its candidates, differing fields marked; the decision form."""
    found = get_visible_or_404(SandingRow, row_id, current_user)
    form = DecisionForm()
    if request.method == "GET":
        return _row_page(found, form)
    form.candidate_id.choices = [(c.id, "") for c in queries.candidates_of(db.session, found)]
    if form.validate_on_submit():
        try:
            services.decide(
                db.session,
                found,
                current_user,
                form.decision.data,
                form.reason.data,
                utcnow(),
                services.current_thresholds(),
                form.candidate_id.data or None,
            )
        except SandingError as error:
            db.session.rollback()
            form.decision.errors = [*form.decision.errors, str(error)]
        else:
            db.session.commit()
            flash(f"Keputusan disimpan: {DECISIONS[found.decision]}.", "success")
            return redirect(_next_in_queue(found))
    return _row_page(found, form, 422)


def _next_in_queue(done: SandingRow) -> str:
    """The next row of the queue the operator may work on, else the queue."""
    page = queries.queue_page(db.session, current_user, 1, "", done.refresh_id)
    for item in page.items:
        if item.assignee_id in (None, current_user.id):
            return url_for("sanding.row", row_id=item.id)
    return url_for("sanding.queue")


def _hold(row_id: int, action) -> object:
    found = get_visible_or_404(SandingRow, row_id, current_user)
    try:
        action(found)
    except SandingError as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        db.session.commit()
    return redirect(url_for("sanding.row", row_id=found.id))


@bp.post("/baris/<int:row_id>/ambil")
@roles_required(*STAFF)
def take(row_id: int):
    """Take the row to work on."""
    return _hold(row_id, lambda r: services.take(db.session, r, current_user, utcnow()))


@bp.post("/baris/<int:row_id>/lepas")
@roles_required(*STAFF)
def release(row_id: int):
    """Put the row back in the common queue."""
    return _hold(row_id, lambda r: services.release(db.session, r, current_user))


@bp.post("/baris/<int:row_id>/serahkan")
@roles_required(*STAFF)
def assign(row_id: int):
    """Hand the row to a colleague."""
    colleague_id = request.form.get("colleague_id", type=int)
    colleague = get_visible_or_404(User, colleague_id or 0, current_user)
    return _hold(
        row_id, lambda r: services.assign(db.session, r, current_user, colleague, utcnow())
    )
