"""Public program pages and statistics; staff editing of program pages and rules."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from nutera.auth.decorators import roles_required
from nutera.extensions import db
from nutera.models import AidProgram, ProgramInfo, ProgramRule
from nutera.programs import bp, rules, services
from nutera.programs.forms import NewProgramForm, ProgramForm, RuleForm, UmrForm
from nutera.programs.queries import (
    program_by_code,
    programs_with_info,
    public_kelurahan,
)
from nutera.scoping import get_visible_or_404, scoped_select


@bp.app_template_filter("safe_html")
def safe_html(text: str | None) -> Markup:
    """Stored program text, sanitised again on the way out (never trusted as stored)."""
    return Markup(services.sanitize_html(text))


def kelurahan_or_chooser():
    """(kelurahan, None) for a public page, or (None, a selector page) when there are several."""
    kelurahan, choices = public_kelurahan(db.session, request.args.get("kel"))
    if kelurahan is None and not choices:
        abort(404)
    if kelurahan is None:
        return None, render_template(
            "programs/choose_kelurahan.html", choices=choices, target=request.endpoint
        )
    return kelurahan, None


@bp.route("/program")
def program_list():
    """All active programs of the kelurahan side by side."""
    kelurahan, chooser = kelurahan_or_chooser()
    if chooser:
        return chooser
    programs = programs_with_info(db.session, kelurahan.id)
    current = services.current_rules(db.session, [p.id for p, _ in programs])
    settings = services.settings_for(db.session, kelurahan.id)
    described = {pid: rules.describe(rule.tree, settings) for pid, rule in current.items()}
    return render_template(
        "programs/list.html", kelurahan=kelurahan, programs=programs, described=described
    )


@bp.route("/program/<code>")
def program_detail(code: str):
    """One program: what it gives, to whom, criteria, documents, schedule, where to ask."""
    kelurahan, chooser = kelurahan_or_chooser()
    if chooser:
        return chooser
    program = program_by_code(db.session, kelurahan.id, code) or abort(404)
    info = db.session.scalar(sa.select(ProgramInfo).where(ProgramInfo.program_id == program.id))
    rule = services.current_rules(db.session, [program.id]).get(program.id)
    settings = services.settings_for(db.session, kelurahan.id)
    described = rules.describe(rule.tree, settings) if rule else []
    return render_template(
        "programs/detail.html",
        kelurahan=kelurahan,
        program=program,
        info=info,
        described=described,
    )


@bp.route("/statistik")
def statistics():
    """Coverage per program and RW, small cells suppressed (see nutera/equity/public.py)."""
    from nutera.equity.routes import public_statistics

    kelurahan, chooser = kelurahan_or_chooser()
    if chooser:
        return chooser
    return public_statistics(kelurahan)


@bp.route("/kelola/program", methods=["GET", "POST"])
@roles_required("admin", "staff")
def manage():
    """Staff: the kelurahan's programs, a form to add one, and the UMR figure."""
    form, umr_form = NewProgramForm(prefix="new"), UmrForm(prefix="umr")
    kelurahan_id = current_user.kelurahan_id or request.args.get("kelurahan_id", type=int)
    if kelurahan_id and form.submit.data and form.validate_on_submit():
        if _code_taken(kelurahan_id, form.code.data):
            form.code.errors = ["Kode ini sudah dipakai program lain."]
        else:
            program = services.create_program(
                db.session, kelurahan_id, form.code.data, form.name.data, form.target.data
            )
            db.session.commit()
            flash(f"Program {program.code} ditambahkan. Lengkapi halamannya.", "success")
            return redirect(url_for(".edit", program_id=program.id))
    if kelurahan_id and umr_form.submit_umr.data and umr_form.validate_on_submit():
        amount = umr_form.value()
        if amount is not None:
            services.set_umr(db.session, kelurahan_id, amount)
            db.session.commit()
            flash("UMR disimpan.", "success")
            return redirect(url_for(".manage"))
    programs = db.session.scalars(
        scoped_select(AidProgram, current_user).order_by(AidProgram.kelurahan_id, AidProgram.code)
    ).all()
    settings = services.settings_for(db.session, kelurahan_id) if kelurahan_id else {}
    if request.method == "GET" and settings.get("umr"):
        umr_form.amount.data = str(settings["umr"])
    return render_template(
        "programs/manage.html",
        programs=programs,
        form=form,
        umr_form=umr_form,
        kelurahan_id=kelurahan_id,
    )


def _code_taken(kelurahan_id: int, code: str) -> bool:
    return (
        db.session.scalar(
            sa.select(AidProgram.id).where(
                AidProgram.kelurahan_id == kelurahan_id, AidProgram.code == code.strip().upper()
            )
        )
        is not None
    )


@bp.route("/kelola/program/<int:program_id>", methods=["GET", "POST"])
@roles_required("admin", "staff")
def edit(program_id: int):
    """Staff: edit what residents read about a program."""
    program = get_visible_or_404(AidProgram, program_id, current_user)
    info = services.info_for(db.session, program)
    form = ProgramForm(obj=info if request.method == "GET" else None)
    if request.method == "GET":
        form.name.data, form.description.data = program.name, program.description
        form.active.data = program.active
    if form.validate_on_submit():
        services.save_program(db.session, program, form.data)
        db.session.commit()
        flash("Halaman program disimpan.", "success")
        return redirect(url_for(".edit", program_id=program.id))
    return render_template("programs/edit.html", program=program, form=form)


@bp.route("/kelola/program/<int:program_id>/aturan", methods=["GET", "POST"])
@roles_required("admin", "staff")
def edit_rules(program_id: int):
    """Staff: the program's eligibility rule as rows, saved as a new version."""
    program = get_visible_or_404(AidProgram, program_id, current_user)
    form = RuleForm()
    if form.validate_on_submit():
        tree = form.to_tree()
        if tree is not None:
            rule = services.save_rule(
                db.session, program, tree, current_user, form.note.data or ""
            )
            db.session.commit()
            flash(f"Aturan versi {rule.version} disimpan.", "success")
            return redirect(url_for(".edit_rules", program_id=program.id))
    versions = db.session.scalars(
        sa.select(ProgramRule)
        .where(ProgramRule.program_id == program.id)
        .options(sa.orm.selectinload(ProgramRule.created_by))
        .order_by(ProgramRule.version.desc())
        .limit(20)
    ).all()
    editable = True
    if request.method == "GET" and versions:
        editable = form.load_tree(versions[0].tree)
    settings = services.settings_for(db.session, program.kelurahan_id)
    return render_template(
        "programs/rules.html",
        program=program,
        form=form,
        versions=versions,
        editable=editable,
        settings=settings,
        describe=rules.describe,
    )
