"""The staff desk: queue, one complaint, and the actions on it."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from nutera.audit import current_actor
from nutera.auth.decorators import READERS, roles_required
from nutera.bounds import in_range
from nutera.complaints import bp, queries, services
from nutera.complaints.desk_reading import kelurahan_names, render_for_reader
from nutera.complaints.forms import AssignForm, ConvertForm, LinkForm, NoteForm, StatusForm
from nutera.complaints.reading import log_reader_view
from nutera.extensions import db
from nutera.models import (
    COMPLAINT_CATEGORIES,
    COMPLAINT_STATUSES,
    Complaint,
    ComplaintPhoto,
    ComplaintStatus,
    Enrollment,
    Household,
    Person,
    User,
)
from nutera.scoping import get_visible_or_404
from nutera.storage import send_stored
from nutera.timeutil import local_today

DESK = "/meja-pengaduan"
STAFF = ("admin", "staff")
# The city's social office and a camat read the desk of their scope; they change nothing.
DESK_READERS = (*STAFF, *READERS)


def _today():
    return local_today()  # in the signed-in user's kelurahan


def _filters() -> queries.QueueFilters:
    args = request.args
    return queries.QueueFilters(
        category=args.get("kategori") if args.get("kategori") in COMPLAINT_CATEGORIES else None,
        status=args.get("status")
        if args.get("status") in {*COMPLAINT_STATUSES, queries.OPEN_FILTER}
        else None,
        rw=args.get("rw", type=int),
        rt=args.get("rt", type=int),
        older_than_days=args.get("umur", type=int)
        if args.get("umur", type=int) in queries.AGE_FILTERS
        else None,
        overdue=args.get("terlambat") == "1",
        assigned_to_me=args.get("saya") == "1" and not current_user.is_read_only,
        kelurahan_id=kelurahan_id
        if (kelurahan_id := args.get("kelurahan", type=int)) and in_range(kelurahan_id)
        else None,
    )


@bp.route(DESK)
@roles_required(*DESK_READERS)
def queue():
    """Complaints in the viewer's scope, filterable, overdue ones highlighted."""
    today = _today()
    page = queries.complaint_queue(
        current_user, _filters(), today, request.args.get("page", 1, type=int)
    )
    log_reader_view(db.session, current_actor(db.session), current_user, listed=page.items)
    html = render_template(
        "complaints/queue.html",
        page=page,
        today=today,
        is_overdue=queries.is_overdue,
        age_filters=queries.AGE_FILTERS,
        categories=COMPLAINT_CATEGORIES,
        statuses=COMPLAINT_STATUSES,
        kelurahans=kelurahan_names(current_user),
        filter_args={k: v for k, v in request.args.items() if k != "page"},
    )
    db.session.commit()  # a read-only account's reading is logged (after rendering: no reload)
    return html


def _complaint(complaint_id: int) -> Complaint:
    return get_visible_or_404(Complaint, complaint_id, current_user)


@bp.route(f"{DESK}/<int:complaint_id>")
@roles_required(*DESK_READERS)
def detail(complaint_id: int):
    """One complaint with its photos, notes, answers, links and actions (readers: no actions)."""
    complaint = _complaint(complaint_id)
    if current_user.is_read_only:
        return render_for_reader(complaint, current_user, _today())
    return _render(complaint)


def _render(complaint: Complaint, error: str | None = None, error_for: str = "", **forms):
    """The complaint page; a refused action comes back with its typed form and the reason."""
    number = "".join(ch for ch in request.args.get("cari", "") if ch.isdigit())
    matches = (
        queries.search_registry(current_user, complaint.kelurahan_id, number)
        if len(number) == 16
        else None
    )
    assign_form = forms.get("assign_form") or AssignForm(assignee=complaint.assigned_to_id)
    assign_form.assignee.choices = [("", "— belum ditugaskan —")] + [
        (u.id, u.full_name) for u in queries.assignable_staff(complaint.kelurahan_id)
    ]
    today = _today()
    page = render_template(
        "complaints/detail.html",
        complaint=complaint,
        overdue=queries.is_overdue(complaint, today),
        days_left=queries.working_days_left(
            complaint, today, services.holidays_for(db.session, complaint.kelurahan_id)
        ),
        show_reporter=complaint.reporter_visible_to(current_user),
        transitions=services.TRANSITIONS[complaint.status],
        status_form=forms.get("status_form") or StatusForm(formdata=None),
        note_form=forms.get("note_form") or NoteForm(formdata=None),
        assign_form=assign_form,
        link_form=forms.get("link_form") or LinkForm(formdata=None),
        convert_form=forms.get("convert_form") or ConvertForm(formdata=None),
        public_refusal=services.public_answer_refusal(complaint),
        convert_refusal=services.usul_refusal(complaint)
        if complaint.category == "usul"
        else services.sanggah_refusal(complaint),
        matches=matches,
        notes=queries.notes_of(complaint),
        search=request.args.get("cari", complaint.subject_nik or ""),
        error=error,
        error_for=error_for,
    )
    return page, 422 if error else 200


def _done(complaint: Complaint, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("complaints.detail", complaint_id=complaint.id))


def _refused(complaint: Complaint, message: str, error_for: str, **forms):
    """Roll back and show the page again with what was typed and why it was refused."""
    db.session.rollback()
    return _render(complaint, error=message, error_for=error_for, **forms)


def _act(complaint: Complaint, action, message: str, error_for: str, **forms):
    """Run a service action: commit and say message, or roll back and say why not."""
    try:
        action()
    except services.ComplaintError as error:
        return _refused(complaint, str(error), error_for, **forms)
    return _done(complaint, message)


STATUS_ACTIONS = {
    ComplaintStatus.TERVERIFIKASI: "Pengaduan diverifikasi.",
    ComplaintStatus.DIPROSES: "Pengaduan diproses.",
    ComplaintStatus.DITOLAK: "Pengaduan ditolak.",
    ComplaintStatus.SELESAI: "Pengaduan ditutup.",
}


@bp.route(f"{DESK}/<int:complaint_id>/status", methods=["POST"])
@roles_required(*STAFF)
def change_status(complaint_id: int):
    """Verify, start, reject (with a reason) or close a complaint."""
    complaint = _complaint(complaint_id)
    form = StatusForm()
    target = form.status.data
    if not form.validate_on_submit() or target not in STATUS_ACTIONS:
        return _refused(complaint, "Perubahan status tidak valid.", "status", status_form=form)
    actions = {
        ComplaintStatus.TERVERIFIKASI: lambda: services.verify(
            db.session,
            complaint,
            _today(),
            services.holidays_for(db.session, complaint.kelurahan_id),
        ),
        ComplaintStatus.DIPROSES: lambda: services.start_processing(db.session, complaint),
        ComplaintStatus.DITOLAK: lambda: services.reject(
            db.session, complaint, form.reason.data or ""
        ),
        ComplaintStatus.SELESAI: lambda: services.close(db.session, complaint),
    }
    return _act(complaint, actions[target], STATUS_ACTIONS[target], "status", status_form=form)


@bp.route(f"{DESK}/<int:complaint_id>/catatan", methods=["POST"])
@roles_required(*STAFF)
def add_note(complaint_id: int):
    """Add an internal note or a public answer."""
    complaint = _complaint(complaint_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _refused(
            complaint,
            "Isi catatan wajib diisi (paling panjang 4.000 huruf).",
            "note",
            note_form=form,
        )
    return _act(
        complaint,
        lambda: services.add_note(
            db.session, complaint, current_user, form.body.data, form.public.data
        ),
        "Jawaban publik terkirim." if form.public.data else "Catatan internal disimpan.",
        "note",
        note_form=form,
    )


@bp.route(f"{DESK}/<int:complaint_id>/tugaskan", methods=["POST"])
@roles_required(*STAFF)
def assign(complaint_id: int):
    """Give the complaint to a staff member of its kelurahan."""
    complaint = _complaint(complaint_id)
    form = AssignForm()
    form.validate_on_submit()
    assignee = db.session.get(User, form.assignee.data) if form.assignee.data else None
    return _act(
        complaint,
        lambda: services.assign(db.session, complaint, assignee, current_user),
        "Petugas yang menangani sudah diatur.",
        "assign",
        assign_form=form,
    )


def _visible_or_none(model, raw: str | None):
    return get_visible_or_404(model, int(raw), current_user) if (raw or "").isdigit() else None


@bp.route(f"{DESK}/<int:complaint_id>/tautkan", methods=["POST"])
@roles_required(*STAFF)
def link(complaint_id: int):
    """Link the complaint to a person, household or enrollment found by the search."""
    complaint = _complaint(complaint_id)
    form = LinkForm()
    if not form.validate_on_submit():
        return _refused(complaint, "Pilihan tidak valid.", "link")
    chosen = {
        "person": _visible_or_none(Person, form.person_id.data),
        "household": _visible_or_none(Household, form.household_id.data),
        "enrollment": _visible_or_none(Enrollment, form.enrollment_id.data),
    }
    return _act(
        complaint,
        lambda: services.link(db.session, complaint, **chosen),
        "Pengaduan sudah ditautkan.",
        "link",
    )


def _convert(complaint_id: int, convert, done: str):
    """Turn the complaint into a work item with convert(complaint, note), or say why not."""
    complaint = _complaint(complaint_id)
    form = ConvertForm()
    if not form.validate_on_submit():
        return _refused(
            complaint, "Catatan paling panjang 2.000 huruf.", "convert", convert_form=form
        )
    note = form.note.data or ""
    return _act(complaint, lambda: convert(complaint, note), done, "convert", convert_form=form)


@bp.route(f"{DESK}/<int:complaint_id>/jadikan-tugas", methods=["POST"])
@roles_required(*STAFF)
def convert_usul(complaint_id: int):
    """One click: a proposal (usul) becomes a survey task for the RT's volunteers."""
    return _convert(
        complaint_id,
        lambda complaint, note: services.convert_usul(db.session, complaint, current_user, note),
        "Usulan menjadi tugas pendataan untuk relawan RT tersebut.",
    )


@bp.route(f"{DESK}/<int:complaint_id>/tinjau-sasaran", methods=["POST"])
@roles_required(*STAFF)
def convert_sanggah(complaint_id: int):
    """One click: a rebuttal (sanggah) puts the enrollment on the targeting review list."""
    return _convert(
        complaint_id,
        lambda complaint, note: services.convert_sanggah(db.session, complaint, note),
        "Kepesertaan masuk daftar tinjauan ketepatan sasaran.",
    )


@bp.route(f"{DESK}/foto/<int:photo_id>")
@roles_required(*STAFF)
def photo(photo_id: int):
    """A complaint photo, for staff who may see that complaint."""
    stored = get_visible_or_404(ComplaintPhoto, photo_id, current_user)
    return send_stored(stored.path)


@bp.app_template_global("complaint_desk_counts")
def complaint_desk_counts(user):
    """Open and overdue complaints for the dashboard panel."""
    return queries.desk_counts(user, _today())
