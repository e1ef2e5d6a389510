"""Equity pages: the staff dashboard with trends, its JSON, the monthly PDF, methodology."""

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from nutera.auth.decorators import READERS, roles_required
from nutera.bounds import in_range
from nutera.equity import queries, report, snapshots
from nutera.equity.indicators import city_indicators, local_today, program_indicators
from nutera.equity.public import public_program
from nutera.extensions import db
from nutera.models import Kelurahan
from nutera.scoping import visible_kelurahans
from nutera.timeutil import utcnow

bp = Blueprint("equity", __name__)


def _kelurahan() -> Kelurahan:
    """Staff: their kelurahan; others: the one chosen with ?kelurahan_id in their scope."""
    kelurahan_id = current_user.kelurahan_id or request.values.get("kelurahan_id", type=int)
    kelurahan = (
        db.session.scalar(visible_kelurahans(current_user).where(Kelurahan.id == kelurahan_id))
        if kelurahan_id and in_range(kelurahan_id)
        else None
    )
    if kelurahan is None:
        abort(404)
    return kelurahan


def _admin_args(kelurahan: Kelurahan) -> dict:
    return {} if current_user.kelurahan_id else {"kelurahan_id": kelurahan.id}


@bp.route("/pemerataan")
@roles_required("admin", "staff", *READERS)
def dashboard():
    """Coverage, targeting errors and the spread between RWs, with the weekly trend."""
    if not current_user.kelurahan_id and not request.args.get("kelurahan_id"):
        choices = db.session.scalars(
            visible_kelurahans(current_user).order_by(Kelurahan.name)
        ).all()
        now = utcnow()
        visible = {k.id for k in choices}
        city = {
            k: found
            for k, found in city_indicators(db.session, local_today(now), now).items()
            if k in visible
        }
        codes = sorted({i.code for found in city.values() for i in found})
        return render_template("equity/choose.html", choices=choices, city=city, codes=codes)
    kelurahan = _kelurahan()
    now = utcnow()
    view = queries.dashboard_view(
        db.session, kelurahan, request.args.get("program"), request.args.get("rw", type=int), now
    )
    return render_template(
        "equity/dashboard.html", kelurahan=kelurahan, view=view, extra=_admin_args(kelurahan)
    )


@bp.route("/pemerataan/tren.json")
@roles_required("admin", "staff", *READERS)
def trend_json():
    """The trend of one program (and RW) week by week, for the dashboard's chart."""
    kelurahan = _kelurahan()
    program = queries.program_of(db.session, kelurahan.id, request.args.get("program", ""))
    if program is None:
        abort(404)
    return jsonify(
        queries.trend_payload(db.session, kelurahan, program, request.args.get("rw", type=int))
    )


@bp.route("/pemerataan/potret", methods=["POST"])
@roles_required("admin", "staff")
def take_snapshot():
    """Store the indicators now (besides the nightly and after-refresh snapshots)."""
    kelurahan = _kelurahan()
    snapshots.take_snapshot(db.session, kelurahan.id, "manual")
    db.session.commit()
    flash("Potret indikator disimpan.", "success")
    return redirect(url_for(".dashboard", **_admin_args(kelurahan)))


@bp.route("/pemerataan/kampanye", methods=["POST"])
@roles_required("admin", "staff")
def campaign():
    """Record the day the survey campaign started (marked on the trend)."""
    kelurahan = _kelurahan()
    try:
        day = date.fromisoformat(request.form.get("mulai", ""))
    except ValueError:
        flash("Tanggal mulai kampanye tidak sah.", "danger")
    else:
        snapshots.set_campaign_start(db.session, kelurahan.id, day)
        db.session.commit()
        flash("Tanggal mulai kampanye survei disimpan.", "success")
    return redirect(url_for(".dashboard", **_admin_args(kelurahan)))


@bp.route("/pemerataan/laporan.pdf")
@roles_required("admin", "staff", *READERS)
def monthly_report():
    """The lurah's monthly PDF: indicators, trend charts, worst RWs, cases resolved."""
    kelurahan = _kelurahan()
    month = report.parse_month(request.args.get("bulan"), utcnow(), kelurahan)
    if month is None:
        abort(404)
    pdf = report.monthly_report(db.session, kelurahan, month, utcnow())
    name = f"pemerataan-{kelurahan.code}-{month:%Y-%m}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/statistik/metodologi")
def methodology():
    """What each figure means and how it is computed, in plain Indonesian."""
    return render_template("equity/methodology.html")


def public_statistics(kelurahan: Kelurahan) -> str:
    """The /statistik page: coverage per RW and program with small cells suppressed."""
    now = utcnow()

    tables = [
        public_program(i)
        for i in program_indicators(db.session, kelurahan.id, local_today(now, kelurahan), now)
    ]
    chart = {
        "labels": [row.rw_number for row in tables[0].rows] if tables else [],
        "series": [{"code": t.code, "values": [r.coverage for r in t.rows]} for t in tables],
    }
    return render_template(
        "equity/statistics.html", kelurahan=kelurahan, tables=tables, chart=chart
    )
