"""Sign-in and sign-out views."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from nutera.auth import bp
from nutera.auth.forms import LoginForm
from nutera.auth.services import authenticate
from nutera.extensions import db, limiter, login_manager
from nutera.models import User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Reload the signed-in user from the session."""
    return db.session.get(User, int(user_id))


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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Sign in with username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.username.data, form.password.data)
        if user is None:
            flash("Nama pengguna atau kata sandi salah.", "danger")
        else:
            db.session.commit()
            session.clear()
            session.permanent = True
            login_user(user)
            flash(f"Selamat datang, {user.full_name}.", "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (POST only, so a link elsewhere cannot sign anyone out)."""
    logout_user()
    session.clear()
    flash("Anda sudah keluar.", "info")
    return redirect(url_for("main.index"))
