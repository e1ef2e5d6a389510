"""Home page and dashboard."""

from flask import jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required

from nutera.main import bp
from nutera.main.queries import recipients_per_program


@bp.route("/")
def index():
    """Public home: what Nutera is and how many households each program reaches."""
    return render_template("main/index.html", figures=recipients_per_program())


@bp.route("/dasbor")
@login_required
def dashboard():
    """Landing page after sign-in, by role (dinas and kecamatan: their overview)."""
    if current_user.is_read_only:
        return redirect(url_for("city.overview_page"))
    return render_template("main/dashboard.html", user=current_user)


@bp.route("/healthz")
def healthz():
    """Liveness probe for load balancers and benchmarks: no database, no template."""
    return jsonify(status="ok"), 200, {"Cache-Control": "no-store"}


@bp.route("/readyz")
def readyz():
    """Readiness: database reachable and migrated to head (503 if not), Redis reachable."""
    from nutera.ops.health import readiness

    report, status = readiness()
    return jsonify(report), status, {"Cache-Control": "no-store"}
