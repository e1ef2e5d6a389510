"""/cek (NIK lookup) and /cek-syarat (self-check): hot public pages with hand-written forms.

/cek is the page residents wait on, so it does only what it must: the rate-limit round trip,
one indexed query and a small page. An anonymous visitor's page is the layout rendered once
per app around the answer (main/layout.py public_frame), and a lookup that needs no captcha
neither reads nor writes the session: the form's CSRF token is a double-submit pair (a
random cookie scoped to /cek and its HMAC in the form), checked here instead of through the
session. A forged cross-site lookup changes no data, but it would spend the victim's
per-address limit and bring the captcha on them, so the token stays.
"""

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import parse_qsl

from flask import abort, current_app, g, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError

from nutera import captcha
from nutera.extensions import csrf, db, limiter
from nutera.identity import IdentityError, parse_nik
from nutera.lookup import bp, guard
from nutera.lookup.services import (
    DECILES,
    ELECTRICITY,
    OCCUPATIONS,
    electricity_label,
    nik_digest,
    self_check_context,
)
from nutera.lookup.services import (
    lookup as find_status,
)
from nutera.models import FLOORS, HOUSE_OWNERSHIP
from nutera.programs import rules
from nutera.programs.queries import programs_with_info
from nutera.programs.routes import kelurahan_or_chooser
from nutera.programs.services import current_rules, settings_for
from nutera.timeutil import DEFAULT_ZONE, local_today

DEFAULT_RATE_LIMIT = "10 per minute;60 per hour"
DEFAULT_CAPTCHA_AFTER = 3
_FAILURES = "cek_gagal"
CSRF_COOKIE = "cek_csrf"


def _anonymous() -> bool:
    """No one is signed in and nothing waits to be flashed: the page needs no user."""
    return "_user_id" not in session and "_flashes" not in session


def _csrf_cookie() -> str:
    """This visitor's /cek CSRF cookie value (a new one when it has none)."""
    value = request.cookies.get(CSRF_COOKIE, "")
    if not 16 <= len(value) <= 64:
        value = g.cek_new_cookie = secrets.token_urlsafe(24)
    return value


def csrf_token_for(cookie: str) -> str:
    """The form's token for a /cek CSRF cookie: an HMAC only this server can make."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"cek-csrf|" + cookie.encode(), hashlib.sha256).hexdigest()


_SMALL_FORM = 4096  # bytes; the lookup's form is ~150


def _posted() -> Mapping[str, str]:
    """The posted fields. A small url-encoded body (every lookup) is parsed here as
    Werkzeug's form parser does (same decoding; the first of repeated fields wins, as
    MultiDict.get gives), without building its parser, stream wrapper and MultiDict for
    four fields. The body is read through request.get_data, so the request's size limit
    applies as before; anything else (multipart, no or a large length) goes through
    request.form."""
    length = request.content_length
    if (
        length is None
        or length > _SMALL_FORM
        or request.mimetype != "application/x-www-form-urlencoded"
    ):
        return request.form
    fields: dict[str, str] = {}
    for key, value in parse_qsl(
        request.get_data().decode(), keep_blank_values=True, errors="werkzeug.url_quote"
    ):
        fields.setdefault(key, value)
    return fields


def _check_csrf(form: Mapping[str, str]) -> None:
    """Refuse a posted lookup whose token does not belong to the visitor's cookie."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get("csrf_token", "")
    if not cookie or not hmac.compare_digest(sent.encode(), csrf_token_for(cookie).encode()):
        raise CSRFError("The CSRF token is missing or does not match.")


def _render(template: str, **context) -> str:
    """A lookup page: around the layout rendered once per app for an anonymous visitor."""
    if not _anonymous():
        return render_template(template, layout="base.html", **context)
    from nutera.main.layout import public_frame

    # Straight from the environment: the context processors add the user and the request,
    # which the pasted layout has already used and these pages do not read.
    page = current_app.jinja_env.get_template(template)
    names = {**_template_globals(page), **context}
    names["layout"], names["frame"] = "_frame_lean.html", public_frame()
    # shared=True: the context is names itself, not a new merge of the template's globals
    # (a ChainMap, 8 us to copy on each render); names already holds them.
    return "".join(page.root_render_func(page.new_context(names, shared=True)))


def _template_globals(page) -> dict:
    """page's globals (the environment's and its own) as a plain dict, merged once per
    template and app: Jinja merges its ChainMap on every render otherwise."""
    cache = current_app.extensions.setdefault("lookup_template_globals", {})
    merged = cache.get(page.name)
    if merged is None:
        merged = cache[page.name] = dict(page.globals)
    return merged


def _today():
    """Today for checking a NIK: an anonymous visitor's zone is the configured one (no user
    to load for it)."""
    if "_user_id" in session:
        return local_today()
    return local_today(current_app.config.get("TIMEZONE") or DEFAULT_ZONE)


def _limited() -> bool:
    return current_app.config.get("RATELIMIT_ENABLED", True)


def _failures_so_far() -> int:
    """Failed tries of this session or this IP in the last hour, whichever is higher."""
    failures = session.get(_FAILURES, 0)
    if _limited():
        failures = max(failures, guard.failures(limiter.storage, request.remote_addr or ""))
    return failures


def _admit() -> int:
    """Count this lookup (429 once a limit is used up); failed tries of this session or IP.

    Flask-Limiter's storage and strategy are used directly rather than through its
    decorator, whose bookkeeping cost as much as the lookup itself on this hot page."""
    failures = session.get(_FAILURES, 0)
    if not _limited():
        return failures
    limits = guard.parsed_limits(current_app.config.get("CEK_RATE_LIMIT", DEFAULT_RATE_LIMIT))
    admission = guard.admit(limiter.storage, limiter.limiter, limits, request.remote_addr or "")
    if not admission.allowed:
        abort(429)
    return max(failures, admission.failures)


def _count_failure(failures: int) -> int:
    session[_FAILURES] = session.get(_FAILURES, 0) + 1
    if _limited():
        guard.count_failure(limiter.storage, request.remote_addr or "")
    return failures + 1


def _needs_captcha(failures: int) -> bool:
    return failures >= current_app.config.get("CEK_CAPTCHA_AFTER", DEFAULT_CAPTCHA_AFTER)


def _form(failures: int, template: str = "lookup/form.html", **context):
    """The lookup form, with a fresh captcha once there were a few failed tries."""
    due = _needs_captcha(failures)
    image = captcha.new_challenge("cek") if due else None
    return _render(
        template,
        captcha_due=due,
        cek_token=csrf_token_for(_csrf_cookie()),
        captcha_image=image,
        errors=context.pop("errors", {}),
        values=context.pop("values", {}),
        **context,
    )


def _checked_input(
    form: Mapping[str, str], failures: int
) -> tuple[str | None, str, dict[str, str], dict[str, str]]:
    """(normalised NIK, name, values to show again, errors) from the posted form."""
    raw_nik, name = form.get("nik", ""), form.get("nama", "")
    values, errors = {"nik": raw_nik[:40], "nama": name[:120]}, {}
    nik = None
    try:
        nik = parse_nik(raw_nik, _today()).nik
    except IdentityError as error:
        errors["nik"] = str(error)
    if len(name.strip()) < 2:
        errors["nama"] = "Isi nama lengkap sesuai KTP."
    if not errors and _needs_captcha(failures):
        try:
            if not captcha.check_answer("cek", form.get("captcha")):
                errors["captcha"] = "Jawaban kode pada gambar salah. Coba lagi."
        except captcha.CaptchaUnavailable:
            errors["captcha"] = captcha.UNAVAILABLE_MESSAGE
    return nik, name, values, errors


@bp.route("/cek", methods=["GET", "POST"])
def lookup():
    """Cek bansos: NIK and name as on the KTP; unknown NIK and wrong name look the same."""
    if request.method == "GET":
        return _form(_failures_so_far())
    form = _posted()
    _check_csrf(form)
    failures = _admit()
    nik, name, values, errors = _checked_input(form, failures)
    log = current_app.extensions["lookup_log"]
    if errors:
        log.info(
            "cek outcome=invalid fields=%s ip=%s", ",".join(sorted(errors)), request.remote_addr
        )
        return _private(_form(failures, values=values, errors=errors))
    with db.engine.connect() as connection:  # no ORM session: this page only reads
        result = find_status(connection, nik, name)
    log.info(
        "cek nik_hmac=%s outcome=%s ip=%s",
        nik_digest(nik, current_app.config["SECRET_KEY"]),
        "found" if result else "not_found",
        request.remote_addr,
    )
    if result is None:
        # The typed NIK and name come back so a typo can be fixed; never cached anywhere.
        return _private(_form(_count_failure(failures), "lookup/not_found.html", values=values))
    return _private(_render("lookup/found.html", result=result))


csrf.exempt(lookup)  # its own double-submit token, checked above without the session


@bp.after_request
def _hand_out_csrf_cookie(response):
    """A form page for a new visitor carries the cookie its token belongs to."""
    cookie = g.get("cek_new_cookie")
    if cookie:
        response.set_cookie(
            CSRF_COOKIE,
            cookie,
            path=url_for("lookup.lookup"),
            httponly=True,
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
            samesite="Lax",
        )
    return response


def _private(page: str):
    """A response holding what a resident typed or their status: shared caches keep nothing."""
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
    return render_template(
        "lookup/self_check.html",
        kelurahan=kelurahan,
        values=answers,
        errors=errors,
        results=results,
        occupations=OCCUPATIONS,
        ownership=HOUSE_OWNERSHIP,
        floors=FLOORS,
        electricity=[(v, electricity_label(v)) for v in ELECTRICITY],
        deciles=[(d, f"Desil {d}") for d in DECILES],
    )


def _evaluate_programs(kelurahan_id: int, context: dict) -> list[tuple]:
    programs = [p for p, _ in programs_with_info(db.session, kelurahan_id)]
    current = current_rules(db.session, [p.id for p in programs])
    settings = settings_for(db.session, kelurahan_id)
    return [
        (p, rules.evaluate(current[p.id].tree, context, settings))
        for p in programs
        if p.id in current
    ]
