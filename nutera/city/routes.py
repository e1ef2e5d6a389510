"""The overview page and its XLSX export."""

from flask import Response, render_template, request
from flask_login import current_user

from nutera.auth.decorators import READERS, roles_required
from nutera.city import bp
from nutera.city.queries import SORTABLE, overview, sort_rows
from nutera.extensions import db
from nutera.spreadsheet import XLSX_MIMETYPE, Column, Kind, xlsx_bytes
from nutera.timeutil import day_start_utc, local_today, utcnow

VIEWERS = ("admin", *READERS)


def _overview():
    now = utcnow()
    today = local_today()
    month_start = day_start_utc(today.replace(day=1))
    found = overview(db.session, current_user, today, month_start, now)
    db.session.commit()  # figures counted now for kelurahan that had none are kept
    return found


def _sorting(programs: list[str]) -> tuple[str, bool]:
    key = request.args.get("urut", "name")
    if key not in SORTABLE and key.removeprefix("program:") not in programs:
        key = "name"
    return key, request.args.get("arah") == "turun"


@bp.route("/kota")
@roles_required(*VIEWERS)
def overview_page():
    """Every kelurahan in the viewer's scope with its figures, sortable by any column."""
    found = _overview()
    key, descending = _sorting(found.programs)
    return render_template(
        "city/overview.html",
        overview=found,
        rows=sort_rows(found.rows, key, descending),
        sort_key=key,
        descending=descending,
        scope=_scope_label(),
    )


@bp.route("/kota/ringkasan.xlsx")
@roles_required(*VIEWERS)
def overview_export():
    """The overview as a workbook, in the order shown."""
    found = _overview()
    key, descending = _sorting(found.programs)
    columns = [
        Column("Kode Kemendagri", Kind.ID),
        Column("Kelurahan"),
        Column("Kecamatan"),
        Column("Warga", Kind.NUMBER),
        *[Column(f"Penerima {code}", Kind.NUMBER) for code in found.programs],
        Column("Survei terverifikasi bulan ini", Kind.NUMBER),
        Column("Pengaduan terbuka", Kind.NUMBER),
        Column("Pengaduan terlambat", Kind.NUMBER),
        Column("Pemutakhiran terakhir", Kind.TIME),
        Column("Pemutakhiran terlambat", Kind.YES_NO),
    ]
    rows = (
        [
            row.code,
            row.name,
            row.kecamatan,
            row.residents,
            *[row.recipients.get(code, 0) for code in found.programs],
            row.surveys,
            row.open,
            row.overdue,
            row.refreshed,
            row.refresh_overdue,
        ]
        for row in sort_rows(found.rows, key, descending)
    )
    return Response(
        xlsx_bytes("Ringkasan kelurahan", columns, rows),
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": 'attachment; filename="ringkasan-kelurahan.xlsx"'},
    )


def _scope_label() -> str:
    if current_user.is_kecamatan:
        return f"Kecamatan {current_user.kecamatan_name} ({current_user.kecamatan_code})"
    return "Seluruh kota"
