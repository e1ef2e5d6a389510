"""Staff and admin pages for API clients: register, show the secret once, rotate, revoke."""

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from nutera.api.clients import (
    ClientError,
    ClientInput,
    register_client,
    revoke_client,
    rotate_secret,
    visible_clients,
)
from nutera.api.forms import ClientForm
from nutera.auth.decorators import roles_required
from nutera.complaints.services import local_today
from nutera.extensions import db
from nutera.models import AuditLog, Kelurahan
from nutera.models.api import ApiClient, WebhookDelivery

bp = Blueprint("api_clients", __name__, url_prefix="/kelola/api-klien")


def _client_or_404(client_pk: int) -> ApiClient:
    client = db.session.scalar(visible_clients(current_user).where(ApiClient.id == client_pk))
    if client is None:
        abort(404)
    return client


def _kelurahan_choices() -> list[tuple[int, str]]:
    stmt = sa.select(Kelurahan.id, Kelurahan.name).order_by(Kelurahan.name)
    if not current_user.is_admin:
        stmt = stmt.where(Kelurahan.id == current_user.kelurahan_id)
    return [(kid, name) for kid, name in db.session.execute(stmt)]


@bp.get("/")
@roles_required("admin", "staff")
def index():
    """The clients this user manages."""
    clients = db.session.scalars(visible_clients(current_user)).all()
    return render_template("api/clients.html", clients=clients)


@bp.route("/baru", methods=["GET", "POST"])
@roles_required("admin", "staff")
def new():
    """Register a client; its secret is shown once on the next page."""
    form = ClientForm()
    form.kelurahan_ids.choices = _kelurahan_choices()
    if not current_user.is_admin:
        del form.whole_city
    if form.validate_on_submit():
        data = ClientInput(
            name=form.name.data,
            scopes=form.scopes.data,
            kelurahan_ids=form.kelurahan_ids.data or [],
            whole_city=bool(form.whole_city.data) if "whole_city" in form else False,
            ip_allowlist=form.ip_allowlist.data or "",
            expires_on=form.expires_on.data,
        )
        try:
            client, secret = register_client(
                db.session, current_user, data, local_today(current_app.config["TIMEZONE"])
            )
        except ClientError as error:
            form.name.errors = [*form.name.errors, str(error)]
        else:
            db.session.commit()
            return render_template("api/secret.html", client=client, secret=secret)
    return render_template("api/client_form.html", form=form)


@bp.get("/<int:client_pk>")
@roles_required("admin", "staff")
def show(client_pk: int):
    """A client: its grants, recent calls and webhook deliveries."""
    client = _client_or_404(client_pk)
    calls = db.session.scalars(
        sa.select(AuditLog)
        .where(AuditLog.api_client_id == client.id)
        .order_by(AuditLog.id.desc())
        .limit(50)
    ).all()
    deliveries = db.session.scalars(
        sa.select(WebhookDelivery)
        .where(WebhookDelivery.client_pk == client.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(50)
    ).all()
    return render_template("api/client.html", client=client, calls=calls, deliveries=deliveries)


@bp.post("/<int:client_pk>/rotasi")
@roles_required("admin", "staff")
def rotate(client_pk: int):
    """Issue a new secret (shown once); old tokens stop working."""
    client = _client_or_404(client_pk)
    try:
        secret = rotate_secret(db.session, client)
    except ClientError as error:
        flash(str(error), "danger")
        return redirect(url_for(".show", client_pk=client.id))
    db.session.commit()
    return render_template("api/secret.html", client=client, secret=secret)


@bp.post("/<int:client_pk>/cabut")
@roles_required("admin", "staff")
def revoke(client_pk: int):
    """Revoke the client for good."""
    client = _client_or_404(client_pk)
    revoke_client(db.session, client)
    db.session.commit()
    flash("Klien dicabut; tokennya tidak berlaku lagi.", "success")
    return redirect(url_for(".show", client_pk=client.id))
