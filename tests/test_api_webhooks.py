"""Webhooks: signed per Standard Webhooks, thin payloads, retried with backoff, logged."""

import base64
import hashlib
import hmac
import json
from datetime import date

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from nutera.api import webhooks
from nutera.api.clients import ClientInput, register_client
from nutera.extensions import db
from nutera.models import Person, User
from nutera.models.api import ApiClient, ApiScope, WebhookDelivery


@pytest.fixture
def subscriber(app_ctx, world):
    admin = db.session.get(User, world.user_ids["admin"])
    client, _ = register_client(
        db.session,
        admin,
        ClientInput("SANTER", [ApiScope.REGISTRY_READ.value], [world.kelurahan_id]),
        date(2026, 12, 1),
    )
    secret = webhooks.subscribe(db.session, client, "https://santer.example/hook", ["person"])
    db.session.commit()
    return client, secret


def _rename(world, name):
    db.session.get(Person, world.person_ids["assigned"]).name = name
    db.session.commit()


def test_deliveries_are_signed_and_verify_with_the_standard_library(world, subscriber):
    client, secret = subscriber
    _rename(world, "NAMA SATU")
    _rename(world, "NAMA DUA")
    assert webhooks.queue(db.session) == 1
    sent = []
    webhooks.deliver_due(
        db.session, lambda url, body, headers: sent.append((body, headers)) or 204
    )
    db.session.commit()
    body, headers = sent[0]
    payload = json.loads(body)
    assert [d["id"] for d in payload["data"]] == [world.person_ids["assigned"]] * 2
    assert "NAMA" not in body.decode()  # thin: no personal data
    Webhook(secret).verify(body, headers)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"person", b"persox"), headers)
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    assert delivery.status == "terkirim" and delivery.attempts == 1
    assert delivery.last_status_code == 204


def test_a_failed_delivery_backs_off_and_gives_up_after_the_last_attempt(world, subscriber):
    _rename(world, "NAMA TIGA")
    webhooks.queue(db.session)
    webhooks.deliver_due(db.session, lambda *_: 500)
    db.session.commit()
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    assert delivery.status == "menunggu" and delivery.attempts == 1
    assert webhooks.deliver_due(db.session, lambda *_: 200) == 0  # not due before its backoff

    def refused(*_):
        raise OSError("connection refused")

    for _ in range(webhooks.MAX_ATTEMPTS):
        db.session.execute(sa.update(WebhookDelivery).values(next_attempt_at=sa.func.now()))
        db.session.execute(
            sa.text("UPDATE webhook_delivery SET next_attempt_at = '2000-01-01 00:00:00'")
        )
        webhooks.deliver_due(db.session, refused)
        db.session.commit()
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    assert delivery.status == "gagal" and delivery.attempts == webhooks.MAX_ATTEMPTS
    assert "connection refused" in delivery.last_error


def test_only_changes_of_the_clients_kelurahan_and_kinds_are_sent(world, subscriber):
    db.session.get(Person, world.person_ids["other"]).name = "WARGA LEBAKGEDE"
    db.session.commit()
    assert webhooks.queue(db.session) == 0


def test_attempts_are_visible_on_the_client_page(client, login_as, app, world, subscriber):
    api_client, _ = subscriber
    with app.app_context():
        _rename(world, "NAMA EMPAT")
        webhooks.queue(db.session)
        webhooks.deliver_due(db.session, lambda *_: 503)
        db.session.commit()
        pk = db.session.scalar(sa.select(ApiClient.id))
    login_as("admin")
    page = client.get(f"/kelola/api-klien/{pk}").get_data(as_text=True)
    assert "503" in page and "menunggu" in page
