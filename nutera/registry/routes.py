"""Household list and detail, limited to what the viewer may see."""

from flask import render_template, request
from flask_login import current_user

from nutera.audit import audit_bulk, current_actor
from nutera.auth.decorators import READERS, roles_required
from nutera.bounds import in_range
from nutera.extensions import db
from nutera.models import Household, Kelurahan
from nutera.registry import bp
from nutera.registry.queries import household_page, member_counts
from nutera.scoping import get_visible_or_404, visible_kelurahans


@bp.route("/kk")
@roles_required("admin", "staff", "volunteer", *READERS)
def households():
    """Households in the viewer's scope (across kelurahan: with a kelurahan filter)."""
    kelurahan_id = request.args.get("kelurahan", type=int)
    page = household_page(
        current_user,
        request.args.get("page", 1, type=int),
        rw=request.args.get("rw", type=int),
        rt=request.args.get("rt", type=int),
        kk=request.args.get("kk") or None,
        kelurahan_id=kelurahan_id if kelurahan_id and in_range(kelurahan_id) else None,
    )
    counts = member_counts([h.id for h in page.items])
    kelurahans = {}
    if current_user.kelurahan_id is None:  # admin, dinas, kecamatan: name each row's kelurahan
        kelurahans = dict(
            db.session.execute(
                visible_kelurahans(current_user)
                .with_only_columns(Kelurahan.id, Kelurahan.name)
                .order_by(Kelurahan.name)
            ).all()
        )
    return render_template(
        "registry/households.html", page=page, counts=counts, kelurahans=kelurahans
    )


@bp.route("/kk/<int:household_id>")
@roles_required("admin", "staff", "volunteer", *READERS)
def household(household_id: int):
    """One household and its members."""
    household = get_visible_or_404(Household, household_id, current_user)
    if current_user.is_read_only:
        # A reader at city or kecamatan level needs no full NIK: shown masked, with the
        # birth year only (a masked NIK beside the birth date would give its digits back).
        audit_bulk(
            db.session, current_actor(db.session), "lihat", "household", household.id,
            household.kelurahan_id, {"event": "household_read", "role": current_user.role},
        )  # fmt: skip
        db.session.commit()
    return render_template(
        "registry/household.html", household=household, masked=current_user.is_read_only
    )
