"""Distribution views: events, phone capture of handovers, evidence and PDFs."""

import math
import secrets

import sqlalchemy as sa
from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from nutera.auth.decorators import roles_required
from nutera.distribution import bp
from nutera.distribution.forms import EventForm, HandoverForm
from nutera.distribution.pdfs import invitations_pdf, receipt_pdf, report_pdf, when
from nutera.distribution.queries import (
    event_page,
    get_event_or_404,
    get_handover_or_404,
    get_recipient_or_404,
    invitation_rows,
    kelurahan_name,
    progress,
    recipient_by_token,
    report_rows,
)
from nutera.distribution.search import STATUSES, recipient_page, search_recipients
from nutera.distribution.services import (
    DuplicateHandover,
    HandoverError,
    HandoverInput,
    create_event,
    original_handover,
    record_handover,
)
from nutera.extensions import db
from nutera.identity import mask_nik
from nutera.models import PROXY_RELATIONS, AidProgram, DistributionRecipient, Handover, User
from nutera.scoping import get_visible_or_404, scoped_select
from nutera.storage import send_stored

CAPTURERS = ("admin", "staff", "volunteer")


@bp.app_template_filter("wib")
def wib_filter(value) -> str:
    """A stored instant in the signed-in user's kelurahan zone, with WIB/WITA/WIT."""
    return when(value)


@bp.route("/")
@roles_required(*CAPTURERS)
def events():
    """Distribution events the viewer may open."""
    page = event_page(current_user, request.args.get("page", 1, type=int))
    return render_template("distribution/events.html", page=page)


@bp.route("/baru", methods=["GET", "POST"])
@roles_required("admin", "staff")
def new_event():
    """Plan an event; its recipients are the program's active enrollments."""
    form = EventForm()
    programs = db.session.scalars(
        scoped_select(AidProgram, current_user)
        .where(AidProgram.active.is_(True))
        .order_by(AidProgram.code)
    )
    form.program_id.choices = [SelectChoice(p.id, f"{p.code} - {p.name}") for p in programs]
    form.volunteer_ids.choices = [
        SelectChoice(u.id, u.full_name)
        for u in db.session.scalars(
            scoped_select(User, current_user)
            .where(User.role == "volunteer", User.active.is_(True))
            .order_by(User.full_name)
        )
    ]
    if form.validate_on_submit():
        program = get_visible_or_404(AidProgram, form.program_id.data, current_user)
        event = create_event(
            db.session,
            current_user,
            program,
            period=form.period.data,
            event_date=form.event_date.data,
            place=form.place.data,
            goods=form.goods.data,
            amount=form.amount.data,
            time_start=form.time_start.data,
            time_end=form.time_end.data,
            volunteer_ids=form.volunteer_ids.data or [],
        )
        db.session.commit()
        flash(f"Acara dibuat dengan {progress(event.id).total} penerima.", "success")
        return redirect(url_for("distribution.event", event_id=event.id))
    return render_template("distribution/event_form.html", form=form)


@bp.route("/<int:event_id>")
@roles_required(*CAPTURERS)
def event(event_id: int):
    """Event details, live progress and the recipient list with search and filter."""
    event = get_event_or_404(event_id, current_user)
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    query = request.args.get("q", "").strip()[:100]
    page = recipient_page(
        event, current_user, request.args.get("page", 1, type=int), status, query
    )
    return render_template(
        "distribution/event.html",
        event=event,
        page=page,
        status=status,
        query=query,
        progress=progress(event.id),
    )


@bp.route("/<int:event_id>/progres")
@roles_required(*CAPTURERS)
def event_progress(event_id: int):
    """Received / total as JSON, polled by the event and capture pages."""
    event = get_event_or_404(event_id, current_user)
    figures = progress(event.id)
    return jsonify(received=figures.received, total=figures.total, percent=figures.percent)


@bp.route("/<int:event_id>/undangan.pdf")
@bp.route("/<int:event_id>/undangan/<int:recipient_id>.pdf")
@roles_required("admin", "staff")
def invitations(event_id: int, recipient_id: int | None = None):
    """Printable invitations with QR codes, four per page (or one recipient's)."""
    event = get_event_or_404(event_id, current_user)
    if recipient_id is not None:
        get_recipient_or_404(event, recipient_id, current_user)
    rows = invitation_rows(event.id, recipient_id)
    return _pdf(
        invitations_pdf(event, kelurahan_name(event), rows),
        f"undangan-{event.id}-{recipient_id or 'semua'}.pdf",
    )


def _pdf(payload: bytes, filename: str) -> Response:
    """A PDF response that shared caches must not keep."""
    response = Response(payload, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:event_id>/berita-acara.pdf")
@roles_required("admin", "staff")
def report(event_id: int):
    """The event report (berita acara serah terima)."""
    event = get_event_or_404(event_id, current_user)
    return _pdf(
        report_pdf(event, kelurahan_name(event), progress(event.id), report_rows(event.id)),
        f"berita-acara-{event.id}.pdf",
    )


@bp.route("/<int:event_id>/serah-terima")
@roles_required(*CAPTURERS)
def capture(event_id: int):
    """Find a recipient by invitation code, or the NIK, name or KK of their household."""
    event = get_event_or_404(event_id, current_user)
    token = request.args.get("token", "").strip()
    if token:
        recipient = recipient_by_token(event.id, token, current_user)
        if recipient is not None:
            return redirect(
                url_for("distribution.handover_form", event_id=event.id, recipient_id=recipient.id)
            )
        flash("Kode QR tidak dikenal untuk acara ini.", "danger")
    query = request.args.get("q", "").strip()[:100]
    results = search_recipients(event, current_user, query) if query else None
    return render_template(
        "distribution/capture.html",
        event=event,
        query=query,
        results=results,
        progress=progress(event.id),
    )


@bp.route("/<int:event_id>/serah-terima/<int:recipient_id>", methods=["GET", "POST"])
@roles_required(*CAPTURERS)
def handover_form(event_id: int, recipient_id: int):
    """Capture a handover: photo, signature or thumbprint, proxy, GPS."""
    event = get_event_or_404(event_id, current_user)
    recipient = get_recipient_or_404(event, recipient_id, current_user)
    form = HandoverForm()
    if request.method == "POST":
        return _submit(form, recipient)
    existing = original_handover(db.session, recipient.id)
    if existing is not None:
        return render_template(
            "distribution/already_received.html",
            event=event,
            recipient=recipient,
            existing=existing,
            progress=progress(event.id),
            mask_nik=mask_nik,
        )
    form.idempotency_key.data = secrets.token_hex(16)
    return render_template(
        "distribution/handover_form.html",
        event=event,
        recipient=recipient,
        form=form,
        existing=None,
        corrects=None,
        progress=progress(event.id),
        mask_nik=mask_nik,
    )


def _submit(
    form: HandoverForm, recipient: DistributionRecipient, corrects: Handover | None = None
):
    """Validate and record a posted handover; answers JSON for the capture script."""
    if not form.validate():
        return jsonify(status="invalid", errors=form.errors), 422
    data = HandoverInput(
        idempotency_key=form.idempotency_key.data,
        photo=_file("photo"),
        signature=_file("signature"),
        thumbprint=form.thumbprint.data,
        proxy_name=form.proxy_name.data or "" if form.proxy.data else "",
        proxy_nik=form.proxy_nik.data or "" if form.proxy.data else "",
        proxy_relation=form.proxy_relation.data or "" if form.proxy.data else "",
        latitude=form.latitude.data,
        longitude=form.longitude.data,
        gps_accuracy_m=_number(form.gps_accuracy_m.data),
        note=form.note.data or "",
    )
    try:
        handover, created = record_handover(
            db.session, current_user, recipient, data, corrects=corrects
        )
    except HandoverError as error:
        db.session.rollback()
        return jsonify(status="invalid", errors={error.field: [str(error)]}), 422
    except DuplicateHandover as duplicate:
        earlier = duplicate.existing
        message = (
            f"Ditolak: bantuan sudah diterima pada {when(earlier.received_at)}, "
            f"dicatat oleh {earlier.officer.full_name}."
        )
        return jsonify(
            status="duplicate",
            message=message,
            handover_id=earlier.id,
            received_at=when(earlier.received_at),
            officer=earlier.officer.full_name,
            **_links(earlier),
        ), 409
    db.session.commit()
    figures = progress(handover.event_id)
    return jsonify(
        status="recorded" if created else "already_recorded",
        message=f"Serah terima tercatat pada {when(handover.received_at)}.",
        handover_id=handover.id,
        received_at=when(handover.received_at),
        received=figures.received,
        total=figures.total,
        percent=figures.percent,
        **_links(handover),
    ), 201 if created else 200


def _links(handover: Handover) -> dict:
    """Where the desk goes after a handover: its receipt and the next recipient."""
    return {
        "receipt_url": url_for("distribution.receipt", handover_id=handover.id),
        "next_url": url_for("distribution.capture", event_id=handover.event_id),
    }


def _file(name: str):
    """The uploaded file stream of a form field, or None."""
    storage = request.files.get(name)
    return storage.stream if storage and storage.filename else None


def _number(text: str | None) -> float | None:
    """A number from a hidden field, or None."""
    try:
        number = float(text) if text else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) and abs(number) < 1e9 else None


@bp.route("/catatan/<int:handover_id>")
@roles_required("admin", "staff")
def handover(handover_id: int):
    """A recorded handover with its evidence and any corrections."""
    record = get_handover_or_404(handover_id, current_user)
    corrections = db.session.scalars(
        sa.select(Handover)
        .where(Handover.recipient_id == record.recipient_id, Handover.id != record.id)
        .order_by(Handover.seq)
    )
    return render_template(
        "distribution/handover.html",
        handover=record,
        recipient=record.recipient,
        corrections=list(corrections),
        mask_nik=mask_nik,
        relations=PROXY_RELATIONS,
    )


@bp.route("/catatan/<int:handover_id>/<any(foto, ttd):kind>")
@roles_required("admin", "staff")
def evidence(handover_id: int, kind: str):
    """The photo or signature, to authorised staff only."""
    record = get_handover_or_404(handover_id, current_user)
    path = record.photo_path if kind == "foto" else record.signature_path
    if path is None:
        abort(404)
    return send_stored(path)


@bp.route("/catatan/<int:handover_id>/foto-kecil")
@roles_required(*CAPTURERS)
def thumbnail(handover_id: int):
    """The small photo of a handover, for whoever may open its event (the desk shows it)."""
    record = get_handover_or_404(handover_id, current_user)
    return send_stored(record.photo_thumb_path)


@bp.route("/catatan/<int:handover_id>/tanda-terima.pdf")
@roles_required(*CAPTURERS)
def receipt(handover_id: int):
    """The receipt (tanda terima) of one handover."""
    record = get_handover_or_404(handover_id, current_user)
    person = record.recipient.person
    event = get_event_or_404(record.event_id, current_user)
    return _pdf(
        receipt_pdf(
            record,
            event,
            person.name if person else "-",
            person.nik if person else None,
            record.officer.full_name,
        ),
        f"tanda-terima-{event.id}-{record.seq}.pdf",
    )


@bp.route("/catatan/<int:handover_id>/koreksi", methods=["GET", "POST"])
@roles_required("admin", "staff")
def correction(handover_id: int):
    """Record a correction: a new handover row referencing this one, never an edit."""
    record = get_handover_or_404(handover_id, current_user)
    event = get_event_or_404(record.event_id, current_user)
    form = HandoverForm()
    if request.method == "POST":
        return _submit(form, record.recipient, corrects=record)
    form.idempotency_key.data = secrets.token_hex(16)
    return render_template(
        "distribution/handover_form.html",
        event=event,
        recipient=record.recipient,
        form=form,
        existing=None,
        corrects=record,
        progress=progress(event.id),
        mask_nik=mask_nik,
    )
