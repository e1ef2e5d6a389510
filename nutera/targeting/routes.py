"""Targeting review pages: the case list, recomputation, decisions, XLSX export."""

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from nutera.auth.decorators import READERS, roles_required
from nutera.extensions import db
from nutera.models import (
    TARGETING_DECISIONS,
    TARGETING_KINDS,
    AidProgram,
    Kelurahan,
    TargetingCase,
    TargetingDecision,
    TargetingKind,
)
from nutera.scoping import get_visible_or_404
from nutera.spreadsheet import XLSX_MIMETYPE
from nutera.targeting import bp
from nutera.targeting.forms import DecisionForm
from nutera.targeting.queries import SOURCES, case_counts, case_page, export_xlsx
from nutera.targeting.services import decide, sync_cases
from nutera.timeutil import local_today


def _filters() -> dict:
    args = request.args
    return {
        "rw": args.get("rw", type=int),
        "rt": args.get("rt", type=int),
        "kind": args.get("kind") if args.get("kind") in TARGETING_KINDS else None,
        "decision": args.get("decision") if args.get("decision") in TARGETING_DECISIONS else None,
        "source": args.get("source") if args.get("source") in SOURCES else None,
    }


@bp.route("/<int:program_id>")
@roles_required("admin", "staff", *READERS)
def review(program_id: int):
    """Possible exclusion and inclusion errors of one program, filterable by RT/RW."""
    program = get_visible_or_404(AidProgram, program_id, current_user)
    page = max(request.args.get("page", 1, type=int), 1)
    filters = _filters()
    rows, total = case_page(current_user, program, filters, page)
    return render_template(
        "targeting/review.html",
        program=program,
        rows=rows,
        total=total,
        page=page,
        filters=filters,
        counts=case_counts(current_user, program),
        query={k: v for k, v in filters.items() if v},
        kinds=TARGETING_KINDS,
        decisions=TARGETING_DECISIONS,
        sources=SOURCES,
    )


@bp.route("/<int:program_id>/hitung", methods=["POST"])
@roles_required("admin", "staff")
def recompute(program_id: int):
    """Run the program's rule over the kelurahan and refresh the open rule cases."""
    program = get_visible_or_404(AidProgram, program_id, current_user)
    counts = sync_cases(
        db.session,
        program,
        current_user,
        local_today(db.session.get(Kelurahan, program.kelurahan_id)),
        request.remote_addr,
    )
    db.session.commit()
    flash(
        f"Daftar diperbarui: {counts.added} baru, {counts.updated} diperbarui, "
        f"{counts.removed} tidak lagi terdeteksi.",
        "success",
    )
    return redirect(url_for(".review", program_id=program.id))


@bp.route("/kasus/<int:case_id>", methods=["GET", "POST"])
@roles_required("admin", "staff")
def decision(case_id: int):
    """Decide one case: propose addition or removal, or keep, with a reason."""
    case = get_visible_or_404(TargetingCase, case_id, current_user)
    form = DecisionForm(
        obj=case
        if request.method == "GET" and case.decision != TargetingDecision.TERBUKA
        else None
    )
    if request.method == "GET" and case.decision == TargetingDecision.TERBUKA:
        form.decision.data = (
            TargetingDecision.USUL_TAMBAH
            if case.kind == TargetingKind.EXCLUSION
            else TargetingDecision.USUL_HAPUS
        )
    if form.validate_on_submit():
        decide(db.session, case, form.decision.data, form.reason.data, current_user)
        db.session.commit()
        flash("Keputusan disimpan.", "success")
        return redirect(url_for(".review", program_id=case.program_id))
    if request.method == "GET" and case.decision != TargetingDecision.TERBUKA:
        form.reason.data = case.decision_reason
    return render_template(
        "targeting/decision.html", case=case, form=form, kinds=TARGETING_KINDS, sources=SOURCES
    )


@bp.route("/<int:program_id>/ekspor.xlsx")
@roles_required("admin", "staff", *READERS)
def export(program_id: int):
    """The filtered list as XLSX for the musyawarah kelurahan."""
    program = get_visible_or_404(AidProgram, program_id, current_user)
    body = export_xlsx(current_user, program, _filters())
    return Response(
        body,
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="sasaran-{program.code}.xlsx"'},
    )
