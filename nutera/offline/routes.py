"""Service worker, manifest, the offline pages, area data and the outbox's sync endpoints."""

import sqlalchemy as sa
from flask import abort, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from nutera.auth.decorators import roles_required
from nutera.distribution.forms import HandoverForm
from nutera.extensions import db
from nutera.offline import bp
from nutera.offline.area import area_for
from nutera.offline.blobs import (
    TOO_LARGE,
    BlobError,
    blob_max_bytes,
    consume_blobs,
    delete_files,
    find_blob,
    store_blob,
)
from nutera.offline.events import events_for
from nutera.offline.services import Refused, accept, conflict_of, first_result, parse_item
from nutera.offline.worker import manifest_response, worker_response
from nutera.surveys.forms import MemberForm, SurveyForm
from nutera.surveys.queries import rt_choices
from nutera.timeutil import local_today, utcnow

FIELD_ROLES = ("admin", "staff", "volunteer")


@bp.route("/sw.js")
def service_worker():
    """The service worker, at the root so its scope covers every field page."""
    return worker_response()


@bp.route("/manifest.webmanifest")
def manifest():
    """The installable app's manifest (Indonesian)."""
    return manifest_response()


@bp.route("/luring/status")
def status():
    """Whether this browser is still signed in, and a fresh CSRF token for the sync."""
    if not current_user.is_authenticated:
        return jsonify(signed_in=False), 401
    return jsonify(
        signed_in=True,
        user_id=current_user.id,
        role=current_user.role,
        csrf_token=generate_csrf(),
    )


@bp.route("/luring/wilayah")
@roles_required("volunteer")
def area():
    """The volunteer's assigned RTs (KKs, heads, members, open tasks) for the device."""
    return jsonify(area_for(db.session, current_user, utcnow()))


@bp.route("/luring/kotak-keluar")
@roles_required(*FIELD_ROLES)
def outbox():
    """What waits on this device to be sent (drawn by the page script from IndexedDB)."""
    return render_template("offline/outbox.html")


@bp.route("/survei/luring")
@roles_required("volunteer")
def survey_form():
    """A blank survey form that works offline; the script fills it from the local area data."""
    form = SurveyForm(formdata=MultiDict(), meta={"csrf": False})
    form.rt_id.choices = rt_choices(current_user)
    return render_template(
        "offline/survey.html",
        form=form,
        member_template=MemberForm(prefix="members-__index__-"),
    )


@bp.route("/luring/data-penyaluran")
@roles_required(*FIELD_ROLES)
def handover_data():
    """The officer's distribution events and the recipients they may see, for the device."""
    today = local_today(current_user.kelurahan)
    return jsonify(events_for(db.session, current_user, today, utcnow()))


@bp.route("/luring/penyaluran")
@roles_required(*FIELD_ROLES)
def handover_desk():
    """The handover desk without signal: find a recipient of a cached event by name."""
    return render_template("offline/desk.html")


@bp.route("/luring/serah-terima")
@roles_required(*FIELD_ROLES)
def handover_capture():
    """A blank handover form that works offline for any recipient of a cached event."""
    form = HandoverForm(meta={"csrf": False})
    return render_template("offline/handover.html", form=form)


@bp.route("/luring/berkas/<sha256>", methods=["GET", "HEAD"])
@roles_required(*FIELD_ROLES)
def blob_status(sha256: str):
    """204 when this user already uploaded the blob (the device resumes after it), else 404."""
    if find_blob(db.session, current_user, sha256.lower()) is None:
        abort(404)
    return "", 204


@bp.route("/luring/berkas/<sha256>", methods=["PUT"])
@roles_required(*FIELD_ROLES)
def upload_blob(sha256: str):
    """Keep a photo or signature under its SHA-256 (the body is the file's bytes)."""
    # Refused before it is read: the app-wide limit is sized for spreadsheets.
    request.max_content_length = blob_max_bytes()
    try:
        payload = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return jsonify(status="refused", message=TOO_LARGE), 422
    try:
        _, created = store_blob(db.session, current_user, sha256.lower(), payload)
        db.session.commit()
    except BlobError as error:
        db.session.rollback()
        return jsonify(status="refused", message=str(error)), 422
    except sa.exc.IntegrityError:  # the same blob uploaded twice at once: the other one won
        db.session.rollback()
        created = False
    return jsonify(status="stored", sha256=sha256.lower()), 201 if created else 200


@bp.route("/luring/kirim", methods=["POST"])
@roles_required(*FIELD_ROLES)
def submit():
    """Record one outbox item once; a retry answers with the first result."""
    try:
        item = parse_item(request.get_json(silent=True))
    except Refused as error:
        return jsonify(status="refused", message=str(error), errors=error.errors), 422
    earlier = first_result(db.session, current_user, item.key)
    if earlier is not None:
        return jsonify(**earlier.result, replay=True), 200
    try:
        result = accept(
            db.session, current_user, item, local_today(current_user.kelurahan), utcnow()
        )
        used = consume_blobs(db.session, current_user, item.blobs.values())
        db.session.commit()
        delete_files(used)
    except Refused as error:
        db.session.rollback()
        state = "missing_blob" if "_blob" in error.errors else "refused"
        body = {**error.extra, "status": state, "message": str(error), "errors": error.errors}
        return jsonify(body), error.status
    except sa.exc.IntegrityError:
        db.session.rollback()  # a copy of this item sent at the same time was recorded first
        earlier = first_result(db.session, current_user, item.key)
        if earlier is None:
            raise
        return jsonify(**earlier.result, replay=True), 200
    return jsonify(**result, replay=False), 201


@bp.app_template_global()
def offline_conflict(survey_id: int) -> dict | None:
    """For staff: the two versions of a household a device's survey was made against."""
    row = conflict_of(db.session, survey_id)
    if row is None:
        return None
    device, server = dict(row.device_copy or []), dict(row.server_copy or [])
    names = sorted(set(device) | set(server))
    return {
        "device_version": row.device_version,
        "server_version": row.server_version,
        "rows": [
            (name, device.get(name, ""), server.get(name, ""))
            for name in names
            if device.get(name, "") != server.get(name, "")
        ],
    }
