"""Sign-in (password, then a code when two-step sign-in is on), sign-out, own account."""

from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from nutera import security
from nutera.auth import bp, sessions, throttle, twofactor
from nutera.auth.forms import ChangePasswordForm, CodeForm, LoginForm, PasswordConfirmForm
from nutera.auth.services import AccountError, authenticate, change_password, mark_signed_in
from nutera.extensions import db, limiter, login_manager
from nutera.models import User
from nutera.security import Event
from nutera.serverstore import store

WRONG_CREDENTIALS = "Nama pengguna atau kata sandi salah."


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Reload the signed-in user, unless their session was ended, expired or went idle."""
    user = db.session.get(User, int(user_id))
    if user is None:
        return None
    reason = sessions.refusal(user)
    if reason is not None:
        revoked = session.get(sessions.GENERATION) != user.session_generation or not user.active
        session.clear()
        if revoked:
            security.record_for(user, Event.SESSION_REFUSED, entity_id=user.id)
        flash(reason, "warning")
        return None
    sessions.touch(user)
    return user


# Pages a user may open while a required step (new password, two-step enrolment) is due.
_ALWAYS_OPEN = {
    "static",
    "offline.service_worker",  # fetched by the browser itself: must not take a page's flash
    "offline.manifest",
    "auth.logout",
    "auth.change_password",
    "auth.account",
    "auth.enrol_two_factor",
}


@bp.before_app_request
def _require_account_steps():
    """Send a user to change a one-time password or to enrol two-step sign-in first."""
    if "_user_id" not in session or request.endpoint in _ALWAYS_OPEN:
        return None  # public pages skip loading a user at all
    if not current_user.is_authenticated:
        return None
    if current_user.must_change_password:
        flash("Ganti kata sandi sekali pakai Anda sebelum melanjutkan.", "warning")
        return redirect(url_for("auth.change_password"))
    if not current_user.has_2fa and current_user.role in twofactor.required_roles(db.session):
        flash("Peran Anda wajib memakai verifikasi dua langkah. Daftarkan dulu.", "warning")
        return redirect(url_for("auth.enrol_two_factor"))
    return None


def _safe_next(target: str | None) -> str:
    """Only follow relative redirects inside this site."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("main.dashboard")


def _locked_answer(form: LoginForm, wait: int):
    when = f"{(wait + 59) // 60} menit" if wait > 60 else f"{wait} detik"
    flash(f"Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {when}.", "danger")
    return render_template("auth/login.html", form=form), 429


def _failed(username: str, user: User | None, event: Event = Event.LOGIN_FAILED) -> None:
    """Count and record a failed sign-in (unknown usernames exactly like known ones)."""
    policy = throttle.Policy.from_config(current_app.config)
    lock = throttle.count_failure(store(), policy, username, request.remote_addr or "")
    details = {"username": username[:64]}
    ids = {"user_id": user.id, "kelurahan_id": user.kelurahan_id} if user else {}
    security.record(event, details=details, **ids)
    if lock:
        security.record(Event.LOCKOUT, details={**details, "detik": lock}, **ids)


def _complete_sign_in(user: User, next_url: str | None, notice: str | None = None):
    mark_signed_in(user)
    security.record_for(user, Event.LOGIN_OK, session=db.session)
    db.session.commit()
    sessions.start(user)
    throttle.clear(store(), user.username)
    flash(f"Selamat datang, {user.full_name}.", "success")
    if notice:
        flash(notice, "warning")
    return redirect(_safe_next(next_url))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Sign in with username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip().lower()
        wait = throttle.wait_seconds(store(), username, request.remote_addr or "")
        if wait:
            return _locked_answer(form, wait)
        user = authenticate(db.session, username, form.password.data)
        if user is None:
            known = db.session.scalar(db.select(User).where(User.username == username))
            _failed(username, known)
            flash(WRONG_CREDENTIALS, "danger")
        elif user.has_2fa:
            sessions.begin_second_step(user, request.args.get("next"))
            return redirect(url_for("auth.second_step"))
        else:
            return _complete_sign_in(user, request.args.get("next"))
    return render_template("auth/login.html", form=form)


@bp.route("/login/kode", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def second_step():
    """The second step: a code from the authenticator app, or a recovery code."""
    pending = sessions.pending_second_step()
    user = db.session.get(User, pending["uid"]) if pending else None
    if user is None or not user.active or user.session_generation != pending["gen"]:
        flash("Silakan masuk lagi dengan kata sandi.", "warning")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        wait = throttle.wait_seconds(store(), user.username, request.remote_addr or "")
        code = form.code.data.strip()
        if wait:
            return _locked_answer(LoginForm(username=user.username), wait)
        if twofactor.check_totp(user, code):
            security.record_for(user, Event.TOTP_OK, session=db.session)
            return _complete_sign_in(user, pending.get("next"))
        if not code.isdigit() and twofactor.use_recovery_code(db.session, user, code):
            left = twofactor.unused_recovery_codes(db.session, user)
            security.record_for(
                user, Event.RECOVERY_USED, details={"sisa": left}, session=db.session
            )
            notice = f"Kode pemulihan dipakai; tersisa {left} kode."
            return _complete_sign_in(user, pending.get("next"), notice)
        db.session.rollback()  # nothing to keep; frees SQLite for the trace written apart
        _failed(user.username, user, Event.TOTP_FAILED)
        form.code.errors.append("Kode salah atau sudah dipakai.")
    return render_template("auth/second_step.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (POST only); every session of this user ends, copied cookies included."""
    user = db.session.get(User, current_user.id)
    sessions.end_all(user)
    security.record_for(user, Event.LOGOUT, session=db.session)
    db.session.commit()
    sessions.finish()
    flash("Anda sudah keluar.", "info")
    return redirect(url_for("main.index"))


@bp.route("/akun")
@login_required
def account():
    """The signed-in user's own account: password and two-step sign-in."""
    return render_template(
        "auth/account.html",
        recovery_left=twofactor.unused_recovery_codes(db.session, current_user),
        required=current_user.role in twofactor.required_roles(db.session),
        remove_form=PasswordConfirmForm(),
    )


@bp.route("/akun/kata-sandi", methods=["GET", "POST"], endpoint="change_password")
@login_required
def change_password_page():
    """Ubah kata sandi (also the forced step after a one-time password)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(
                user,
                form.current_password.data,
                form.new_password.data,
                form.confirm_password.data,
            )
        except AccountError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            security.record_for(user, Event.PASSWORD_CHANGED, session=db.session)
            db.session.commit()
            sessions.start(user)  # this browser stays signed in; other sessions end
            flash("Kata sandi diubah. Sesi di perangkat lain sudah diakhiri.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/akun/dua-langkah", methods=["GET", "POST"])
@login_required
def enrol_two_factor():
    """Enrol an authenticator app: QR code, confirm a code, then the recovery codes once."""
    user = current_user._get_current_object()
    if user.has_2fa:
        return redirect(url_for("auth.account"))
    form = CodeForm()
    secret = twofactor.pending_secret(user)
    if form.validate_on_submit():
        try:
            codes = twofactor.confirm(db.session, user, form.code.data)
        except twofactor.TwoFactorError as error:
            db.session.rollback()
            form.code.errors.append(str(error))
            secret = twofactor.pending_secret(user)
        else:
            security.record_for(user, Event.TOTP_ENROLLED, session=db.session)
            db.session.commit()
            page = render_template("auth/recovery_codes.html", codes=codes, first=True)
            return page, 200, {"Cache-Control": "no-store"}
    db.session.commit()  # keep the drawn secret, so a reload shows the same QR code
    uri = twofactor.provisioning_uri(user)
    page = render_template(
        "auth/enrol_two_factor.html",
        form=form,
        qr=twofactor.qr_data_uri(uri),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    )
    return page, 200, {"Cache-Control": "no-store"}


@bp.route("/akun/dua-langkah/kode-pemulihan", methods=["POST"])
@login_required
def new_recovery_codes():
    """Replace the recovery codes (the old ones stop working)."""
    form = PasswordConfirmForm()
    user = current_user._get_current_object()
    if not form.validate_on_submit() or not user.check_password(form.password.data):
        flash("Kata sandi salah.", "danger")
        return redirect(url_for("auth.account"))
    codes = twofactor.regenerate_recovery_codes(db.session, user)
    db.session.commit()
    page = render_template("auth/recovery_codes.html", codes=codes, first=False)
    return page, 200, {"Cache-Control": "no-store"}


@bp.route("/akun/dua-langkah/matikan", methods=["POST"])
@login_required
def remove_two_factor():
    """Turn two-step sign-in off (not where the role requires it)."""
    form = PasswordConfirmForm()
    user = current_user._get_current_object()
    if user.role in twofactor.required_roles(db.session):
        flash("Peran Anda wajib memakai verifikasi dua langkah.", "danger")
    elif form.validate_on_submit() and user.check_password(form.password.data):
        twofactor.remove(db.session, user)
        security.record_for(user, Event.TOTP_REMOVED, session=db.session)
        db.session.commit()
        flash("Verifikasi dua langkah dimatikan.", "success")
    else:
        flash("Kata sandi salah.", "danger")
    return redirect(url_for("auth.account"))
