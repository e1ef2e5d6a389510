"""/cek (NIK lookup) and /cek-syarat (self-check): hot public pages with hand-written forms."""
from flask import current_app, render_template, request, session

from nutera import captcha
from nutera.extensions import db, limiter
from nutera.identity import IdentityError, parse_nik
from nutera.lookup import bp
from nutera.lookup.services import (
    ELECTRICITY, OCCUPATIONS, electricity_label, lookup as find_status, nik_digest,
    self_check_context,
)
from nutera.models import FLOORS, HOUSE_OWNERSHIP
from nutera.programs import rules
from nutera.programs.queries import programs_with_info
from nutera.programs.routes import kelurahan_or_chooser
from nutera.programs.services import current_rules, settings_for

DEFAULT_RATE_LIMIT = "10 per minute;60 per hour"
DEFAULT_CAPTCHA_AFTER = 3
_FAILURES = "cek_gagal"


def _rate_limit() -> str:
    return current_app.config.get("CEK_RATE_LIMIT", DEFAULT_RATE_LIMIT)


def _ip_key() -> str:
    return f"cek-gagal/{request.remote_addr}"


def _failures() -> int:
    """Failed lookups of this session or this IP in the last hour, whichever is higher."""
    count = session.get(_FAILURES, 0)
    if current_app.config.get("RATELIMIT_ENABLED", True):
        count = max(count, limiter.storage.get(_ip_key()))
    return count


def _count_failure() -> None:
    session[_FAILURES] = session.get(_FAILURES, 0) + 1
    if current_app.config.get("RATELIMIT_ENABLED", True):
        limiter.storage.incr(_ip_key(), 3600)


def _needs_captcha() -> bool:
    return _failures() >= current_app.config.get("CEK_CAPTCHA_AFTER", DEFAULT_CAPTCHA_AFTER)


def _form(template: str = "lookup/form.html", **context):
    """The lookup form, with a fresh captcha once there were a few failed tries."""
    image = captcha.new_challenge("cek") if _needs_captcha() else None
    return render_template(template, captcha_image=image, errors=context.pop("errors", {}),
                           values=context.pop("values", {}), **context)


def _checked_input() -> tuple[str | None, str, dict[str, str], dict[str, str]]:
    """(normalised NIK, name, values to show again, errors) from the posted form."""
    raw_nik, name = request.form.get("nik", ""), request.form.get("nama", "")
    values, errors = {"nik": raw_nik[:40], "nama": name[:120]}, {}
    nik = None
    try:
        nik = parse_nik(raw_nik).nik
    except IdentityError as error:
        errors["nik"] = str(error)
    if len(name.strip()) < 2:
        errors["nama"] = "Isi nama lengkap sesuai KTP."
    if not errors and _needs_captcha() \
            and not captcha.check_answer("cek", request.form.get("captcha")):
        errors["captcha"] = "Jawaban kode pada gambar salah. Coba lagi."
    return nik, name, values, errors


@bp.route("/cek", methods=["GET", "POST"])
@limiter.limit(_rate_limit, methods=["POST"])
def lookup():
    """Cek bansos: NIK and name as on the KTP; unknown NIK and wrong name look the same."""
    if request.method == "GET":
        return _form()
    nik, name, values, errors = _checked_input()
    if errors:
        current_app.extensions["lookup_log"].info("cek outcome=invalid fields=%s ip=%s", ",".join(sorted(errors)),
                 request.remote_addr)
        return _form(values=values, errors=errors)
    with db.engine.connect() as connection:  # no ORM session: this page only reads
        result = find_status(connection, nik, name)
    current_app.extensions["lookup_log"].info("cek nik_hmac=%s outcome=%s ip=%s",
             nik_digest(nik, current_app.config["SECRET_KEY"]),
             "found" if result else "not_found", request.remote_addr)
    if result is None:
        _count_failure()
        return _form("lookup/not_found.html")
    return render_template("lookup/found.html", result=result)


@bp.route("/cek-syarat", methods=["GET", "POST"])
def self_check():
    """Apakah saya mungkin memenuhi syarat? Answers are evaluated, never stored."""
    kelurahan, chooser = kelurahan_or_chooser()
    if chooser:
        return chooser
    answers = request.form if request.method == "POST" else {}
    results, errors = None, {}
    if request.method == "POST":
        context, errors = self_check_context(answers)
        if not errors:
            results = _evaluate_programs(kelurahan.id, context)
    return render_template("lookup/self_check.html", kelurahan=kelurahan, values=answers,
                           errors=errors, results=results, occupations=OCCUPATIONS,
                           ownership=HOUSE_OWNERSHIP, floors=FLOORS,
                           electricity=[(v, electricity_label(v)) for v in ELECTRICITY])


def _evaluate_programs(kelurahan_id: int, context: dict) -> list[tuple]:
    programs = [p for p, _ in programs_with_info(db.session, kelurahan_id)]
    current = current_rules(db.session, [p.id for p in programs])
    settings = settings_for(db.session, kelurahan_id)
    return [(p, rules.evaluate(current[p.id].tree, context, settings))
            for p in programs if p.id in current]
