"""complaints:write and complaints:read: a super-app files a complaint for a resident with
the same validation as the public form, and reads its public status by tracking code."""

import sqlalchemy as sa
from flask import current_app
from flask_smorest import Blueprint, abort

from nutera.api.auth import ApiScope, client_required, current_client
from nutera.api.schemas import ComplaintFiled, ComplaintIn, ComplaintStatusOut
from nutera.audit import Actor, set_actor
from nutera.complaints import queries
from nutera.complaints.forms import ComplaintForm
from nutera.complaints.routes import complaint_input
from nutera.complaints.services import file_complaint, holidays_for, local_today, normalize_code
from nutera.extensions import db
from nutera.models import Kelurahan, Rt, Rw
from nutera.scoping import visible_to_kelurahan
from nutera.storage import UploadError

bp = Blueprint(
    "api_complaints", __name__, url_prefix="/api/v1/complaints", description="Pengaduan"
)


def _kelurahan(code: str) -> Kelurahan:
    kelurahan = db.session.scalar(
        sa.select(Kelurahan).where(
            Kelurahan.code == code,
            visible_to_kelurahan(Kelurahan, current_client().kelurahan_ids),
        )
    )
    if kelurahan is None:
        abort(422, message="Kelurahan tidak dikenal atau tidak boleh dipakai klien ini.")
    return kelurahan


def _rt_id(kelurahan: Kelurahan, rt: int | None, rw: int | None) -> int | None:
    if rt is None or rw is None:
        return None
    return db.session.scalar(
        sa.select(Rt.id)
        .join(Rw, Rw.id == Rt.rw_id)
        .where(Rt.kelurahan_id == kelurahan.id, Rt.number == rt, Rw.number == rw)
    )


def _form_errors(form: ComplaintForm) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in form.errors.items()}


@bp.post("")
@client_required(ApiScope.COMPLAINTS_WRITE)
@bp.doc(security=[{"oauth2": [ApiScope.COMPLAINTS_WRITE.value]}])
@bp.arguments(ComplaintIn, location="form")
@bp.response(201, ComplaintFiled)
def file(data: dict):
    """File a complaint (multipart: fields and up to 3 photos named photos)."""
    kelurahan = _kelurahan(data["kelurahan"])
    rt_id = _rt_id(kelurahan, data.get("rt"), data.get("rw"))
    form = ComplaintForm(meta={"csrf": False})
    del form.captcha  # a machine client is authenticated instead
    form.set_rt_choices([(rt_id, "")] if rt_id is not None else [])
    form.rt.data = rt_id
    if not form.validate():
        abort(422, message="Pengaduan belum lengkap atau tidak valid.", errors=_form_errors(form))
    set_actor(db.session, Actor(None))
    try:
        complaint = file_complaint(
            db.session,
            complaint_input(form, kelurahan.id),
            form.photos.data,
            local_today(current_app.config["TIMEZONE"]),
            holidays_for(db.session, kelurahan.id),
        )
    except UploadError as error:
        abort(422, message=str(error), errors={"photos": [str(error)]})
    db.session.commit()
    return {
        "code": complaint.code,
        "status": complaint.status,
        "status_label": complaint.status_label,
    }


@bp.get("/<string:code>")
@client_required(ApiScope.COMPLAINTS_READ)
@bp.doc(security=[{"oauth2": [ApiScope.COMPLAINTS_READ.value]}])
@bp.response(200, ComplaintStatusOut)
def status(code: str):
    """A complaint's public status by tracking code: what /pengaduan/<code> shows."""
    canonical = normalize_code(code)
    complaint = queries.by_code(canonical) if canonical else None
    ids = current_client().kelurahan_ids
    if complaint is None or (ids is not None and complaint.kelurahan_id not in ids):
        abort(404, message="Kode pengaduan tidak ditemukan.")
    return {
        "code": complaint.code,
        "category": complaint.category,
        "status": complaint.status,
        "status_label": complaint.status_label,
        "filed_at": complaint.created_at,
        "public_answers": [note.body for note in queries.public_answers(complaint)],
    }
