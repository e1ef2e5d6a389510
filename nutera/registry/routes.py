"""Household list and detail, limited to what the viewer may see."""

from flask import render_template, request
from flask_login import current_user

from nutera.auth.decorators import READERS, roles_required
from nutera.models import Household
from nutera.registry import bp
from nutera.registry.queries import household_page, member_counts
from nutera.scoping import get_visible_or_404


@bp.route("/kk")
@roles_required("admin", "staff", "volunteer", *READERS)
def households():
    """Households in the viewer's scope."""
    page = household_page(
        current_user,
        request.args.get("page", 1, type=int),
        rw=request.args.get("rw", type=int),
        rt=request.args.get("rt", type=int),
        kk=request.args.get("kk") or None,
    )
    counts = member_counts([h.id for h in page.items])
    return render_template("registry/households.html", page=page, counts=counts)


@bp.route("/kk/<int:household_id>")
@roles_required("admin", "staff", "volunteer", *READERS)
def household(household_id: int):
    """One household and its members."""
    household = get_visible_or_404(Household, household_id, current_user)
    return render_template("registry/household.html", household=household)
